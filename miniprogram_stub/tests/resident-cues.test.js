// What a resident sees beyond the data itself (issue 20): 已超期 on a case past its
// deadline (in 我的上报, on 首页 and on the case), no debugging information on 我的 unless
// the build is a development one, and 首页's ways to 志愿服务 and 居民参与.
const { setup, render, text, all, settle } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')

const DAY = 86400000

function cases(server) {
  const late = server.addTicket({ state: 'dispatched', description: '楼道灯坏了一个星期', due_at: iso(2 * DAY) })
  const onTime = server.addTicket({ state: 'accepted', description: '门口污水外溢', due_at: iso(-DAY) })
  const doneLate = server.addTicket({ state: 'resolved', description: '垃圾已清运', due_at: iso(3 * DAY) })
  return { late, onTime, doneLate }
}

async function open(env, name, query = {}) {
  const page = render(env.simulate, name)
  await page.instance.onLoad(query)
  if (page.instance.onShow) await page.instance.onShow()
  await settle()
  return page
}

test('我的上报: 已超期 on an open case past its deadline, not on one in time nor on a resolved one', async () => {
  const env = setup()
  const { late } = cases(env.server)
  const page = await open(env, 'tickets', { relation: 'reported' })
  expect(page.data.items.map((i) => [i.description, i.overdue])).toEqual([
    ['楼道灯坏了一个星期', true], ['门口污水外溢', false], ['垃圾已清运', false],
  ])
  expect(all(page, '.overdue-badge').map((n) => n.dom.textContent.trim())).toEqual(['已超期'])
  expect(page.data.items.find((i) => i.overdue).id).toBe(late.id)
})

test('首页 marks the overdue one among my open cases', async () => {
  const env = setup()
  cases(env.server)
  const page = await open(env, 'home')
  expect(page.data.openTickets.map((i) => [i.description, i.overdue])).toEqual([
    ['楼道灯坏了一个星期', true], ['门口污水外溢', false], ['垃圾已清运', false],
  ])
  expect(all(page, '.open-ticket .overdue-badge')).toHaveLength(1)
})

test('the case page: 已超期 next to its state and on its deadline; none once it is in time', async () => {
  const env = setup()
  const { late, onTime } = cases(env.server)
  const page = await open(env, 'ticket', { id: String(late.id) })
  expect(text(page, '.overdue-badge')).toBe('已超期')
  expect(text(page, '.due')).toMatch(/^期限 .+ · 已超过办理期限，社区会督办$/)
  await page.instance.onLoad({ id: String(onTime.id) }) // the same page, another case
  await settle()
  expect(page.data.ticket.description).toBe('门口污水外溢')
  expect(page.querySelector('.overdue-badge')).toBeUndefined()
  expect(text(page, '.due')).toMatch(/^期限 /)
  expect(text(page, '.due')).not.toContain('已超过')
})

test('in English: Overdue', async () => {
  const env = setup()
  env.mod('utils/i18n').setLang('en')
  cases(env.server)
  const page = await open(env, 'tickets', { relation: 'reported' })
  expect(all(page, '.overdue-badge').map((n) => n.dom.textContent.trim())).toEqual(['Overdue'])
})

test('the overdue rule: work owed and past due_at; no deadline, a resolved or closed case or a bad date is not late', () => {
  const env = setup()
  const { isOverdue } = env.mod('logic/ticket')
  const now = Date.parse('2027-01-10T12:00:00Z')
  expect(isOverdue({ state: 'dispatched', due_at: '2027-01-10T11:59:00Z' }, now)).toBe(true)
  expect(isOverdue({ state: 'dispatched', due_at: '2027-01-10T12:01:00Z' }, now)).toBe(false)
  expect(isOverdue({ state: 'submitted', due_at: null }, now)).toBe(false)
  expect(isOverdue({ state: 'closed', due_at: '2027-01-01T00:00:00Z' }, now)).toBe(false)
  expect(isOverdue({ state: 'resolved', due_at: '2027-01-01T00:00:00Z' }, now)).toBe(false)
  expect(isOverdue({ state: 'in_progress', due_at: 'not a date' }, now)).toBe(false)
})

test('the server\'s overdue wins over the phone\'s clock (a phone set a day wrong)', () => {
  const env = setup()
  const { isOverdue } = env.mod('logic/ticket')
  const now = Date.parse('2027-01-10T12:00:00Z')
  expect(isOverdue({ state: 'dispatched', due_at: '2027-01-11T00:00:00Z', overdue: true }, now)).toBe(true)
  expect(isOverdue({ state: 'dispatched', due_at: '2027-01-09T00:00:00Z', overdue: false }, now)).toBe(false)
  expect(isOverdue({ state: 'closed', due_at: '2027-01-09T00:00:00Z', overdue: true }, now)).toBe(false)
})

describe('我的: the API address only in a development build', () => {
  const build = (env, envVersion) => {
    env.phone.wx.getAccountInfoSync = () => ({ miniProgram: { appId: 'touristappid', envVersion } })
  }

  test.each(['release', 'trial'])('a %s build shows no 服务地址', async (envVersion) => {
    const env = setup()
    build(env, envVersion)
    const page = await open(env, 'me')
    expect(page.querySelector('.api-base')).toBeUndefined()
    expect(page.dom.textContent).not.toContain('服务地址')
    expect(page.dom.textContent).not.toContain(env.server.origin)
  })

  test('a development build (开发版, DevTools) shows it', async () => {
    const env = setup()
    build(env, 'develop')
    const page = await open(env, 'me')
    expect(text(page, '.api-base')).toBe(`服务地址 ${env.server.origin}`)
  })

  test('a base library that cannot say is treated as a release build', async () => {
    const env = setup()
    delete env.phone.wx.getAccountInfoSync
    const page = await open(env, 'me')
    expect(page.querySelector('.api-base')).toBeUndefined()
  })

  test('debug: true in the settings (config.js or ext.json) shows it in a trial build', async () => {
    const env = setup()
    build(env, 'trial')
    env.mod('utils/settings').override({ debug: true })
    const page = await open(env, 'me')
    expect(text(page, '.api-base')).toBe(`服务地址 ${env.server.origin}`)
  })
})

test('首页 leads residents to 志愿服务 and 居民参与; a grid worker\'s 首页 has neither', async () => {
  const env = setup()
  const page = await open(env, 'home')
  expect(text(page, '.volunteers-entry .item-title')).toBe('志愿服务')
  expect(text(page, '.participation-entry .item-title')).toBe('居民参与')
  page.querySelector('.volunteers-entry').dispatchEvent('tap')
  page.querySelector('.participation-entry').dispatchEvent('tap')
  await settle()
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/volunteers/index', '/pages/participation/index'])

  const worker = setup()
  worker.server.user = Object.assign({}, worker.server.user, { role: 'grid_worker' })
  const workerHome = await open(worker, 'home')
  expect(workerHome.data.worker).toBe(true)
  expect(workerHome.querySelector('.volunteers-entry')).toBeUndefined()
})
