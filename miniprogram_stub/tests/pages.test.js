// Every page (and component) renders with its WXML compiled by the official compiler, and
// loads its data from the API on onLoad.
const path = require('path')
const { ROOT, PAGES, BOOKING_PAGES, setup, render, text, settle } = require('./helpers/env')

describe('every page renders', () => {
  test.each(PAGES)('%s', async (name) => {
    const { simulate, server } = setup()
    server.addTask()
    const comp = render(simulate, name)
    const query = name === 'ticket' || name === 'task' ? { id: String(server.tasks[0].id) } : {}
    await comp.instance.onLoad(query)
    if (comp.instance.onShow) await comp.instance.onShow()
    await settle()
    expect(comp.dom.innerHTML.length).toBeGreaterThan(0)
    expect(comp.data.t.tab_home).toBe('首页')
    expect(comp.data.error).toBe('')
  })

  test.each(BOOKING_PAGES)('%s', async (file) => {
    const { simulate, server } = setup()
    server.bookings[900] = server.bookingFor(900, server.slotDays[1].slots[1])
    const comp = render(simulate, file.split('/').pop(), file)
    await comp.instance.onLoad({ id: file.endsWith('detail') ? '900' : '31' })
    if (comp.instance.onShow) await comp.instance.onShow()
    await settle()
    expect(comp.dom.innerHTML.length).toBeGreaterThan(0)
    expect(comp.data.error).toBe('')
  })

  test('the custom tab bar shows the tabs of the role', async () => {
    const { simulate, mod } = setup()
    const bar = render(simulate, 'tab', 'custom-tab-bar/index')
    expect(bar.data.items.map((i) => i.text)).toEqual(['首页', '上报', '办事', '我的'])
    mod('utils/session').save({ token: 't', user: { role: 'grid_worker' } })
    expect(bar.data.items.map((i) => i.text)).toEqual(['首页', '任务', '我的'])
    bar.instance.refresh('tasks')
    expect(text(bar, '.tab-on')).toBe('任务')
    // an icon over each label: the green one on the selected tab
    const icons = bar.querySelectorAll('.tab-icon').map((n) => n.dom.getAttribute('src'))
    expect(icons).toEqual(['/images/tab/home.png', '/images/tab/tasks-on.png', '/images/tab/me.png'])
  })
})

test('app.js: at launch the user is logged in without typing, and the queue listens for the network', async () => {
  const { phone, server } = setup()
  let app = null
  global.App = (options) => { app = options }
  require(path.join(ROOT, 'app.js'))
  await app.onLaunch()
  await settle()
  expect(server.log.map((r) => r.path)).toEqual(expect.arrayContaining(['/auth/wechat', '/me', '/notifications/templates']))
  expect(phone.state.networkListeners).toHaveLength(1)
  app.onShow()
  delete global.App
})
