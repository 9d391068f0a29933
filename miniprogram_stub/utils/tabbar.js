// The tabs depend on who is logged in: residents see 首页 · 上报 · 办事 · 我的, grid workers
// 首页 · 任务 · 我的 (app.json lists all five pages; custom-tab-bar shows the right ones).
const session = require('./session')

const TABS = {
  home: { name: 'home', url: '/pages/home/home', key: 'tab_home' },
  report: { name: 'report', url: '/pages/report/report', key: 'tab_report' },
  services: { name: 'services', url: '/pages/bookings/index', key: 'tab_services' },
  tasks: { name: 'tasks', url: '/pages/tasks/tasks', key: 'tab_tasks' },
  me: { name: 'me', url: '/pages/me/me', key: 'tab_me' },
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
