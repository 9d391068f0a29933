// The tabs depend on who is logged in: residents see 首页 · 上报 · 办事 · 我的, grid workers
// 首页 · 任务 · 我的 (app.json lists all five pages; custom-tab-bar shows the right ones).
const session = require('./session')

// Each tab's icon: images/tab/<name>.png, and <name>-on.png when selected (81 x 81 px,
// drawn by tools/draw_tab_icons.py).
const tab = (name, url, key) => ({ name, url, key, icon: `/images/tab/${name}.png`, iconOn: `/images/tab/${name}-on.png` })

const TABS = {
  home: tab('home', '/pages/home/home', 'tab_home'),
  report: tab('report', '/pages/report/report', 'tab_report'),
  services: tab('services', '/pages/bookings/index', 'tab_services'),
  tasks: tab('tasks', '/pages/tasks/tasks', 'tab_tasks'),
  me: tab('me', '/pages/me/me', 'tab_me'),
}

function namesFor(role) {
  return role === 'grid_worker' ? ['home', 'tasks', 'me'] : ['home', 'report', 'services', 'me']
}

function itemsFor(role) {
  return namesFor(role).map((name) => TABS[name])
}

// From a tab page's onShow: highlight its tab and show the tabs of the current role.
function sync(pageInstance, name) {
  if (typeof pageInstance.getTabBar !== 'function') return
  const bar = pageInstance.getTabBar()
  if (bar && typeof bar.refresh === 'function') bar.refresh(name, session.role())
}

module.exports = { TABS, namesFor, itemsFor, sync }
