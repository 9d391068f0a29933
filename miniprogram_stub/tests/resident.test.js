// A resident's other pages: home (report button, open cases, unread notices), my cases,
// a case's detail (timeline, photos, rating), the notices.
const { setup, render, text, all, settle } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

test('home: the report button, my open cases (not the closed ones) and the unread count', async () => {
  const env = setup()
  env.server.addTicket({ state: 'dispatched', description: '楼道灯不亮' })
  env.server.addTicket({ state: 'closed', description: '早就修好了' })
  env.server.notifications = [
    { id: 1, kind: 'ticket_dispatched', title: '楼道灯损坏：已派遣', body: '', page: 'pages/ticket/ticket?id=101', created_at: iso(), read: false },
  ]
  const page = render(env.simulate, 'home')
  await page.instance.onLoad({})
  await settle()
  expect(text(page, '#go-report')).toBe('我要上报')
  expect(all(page, '.open-ticket')).toHaveLength(1)
  expect(text(page, '.open-ticket .item-title')).toBe('公共设施 › 楼道灯损坏')
  expect(text(page, '.open-ticket .badge')).toBe('已派遣')
  expect(text(page, '.unread-count')).toBe('1')
  await tap(page, '#go-report')
  expect(env.phone.callsOf('switchTab').map((o) => o.url)).toEqual(['/pages/report/report'])
})

test('home for a grid worker: task counts and 巡查上报', async () => {
  const env = setup()
  env.server.user = Object.assign({}, env.server.user, { role: 'grid_worker' })
  env.server.addTask({ overdue: true })
  env.server.addTask()
  const page = render(env.simulate, 'home')
  await page.instance.onLoad({})
  await settle()
  expect(text(page, '.task-total')).toBe('待办 2')
  expect(text(page, '.task-overdue')).toBe('超期 1')
  expect(page.querySelector('#go-report')).toBeUndefined()
  await tap(page, '#go-patrol')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/patrol/patrol'])
})

test('my cases: reported and followed', async () => {
  const env = setup()
  const mine = env.server.addTicket()
  const page = render(env.simulate, 'tickets')
  await page.instance.onLoad({ relation: 'reported' })
  await settle()
  expect(all(page, '.ticket-item')).toHaveLength(1)
  env.server.followed = [mine.id]
  env.server.tickets[mine.id].mine = false
  page.instance.switchRelation({ currentTarget: { dataset: { relation: 'following' } } })
  await settle()
  expect(env.server.requests('GET', '/me/tickets').pop().query.relation).toBe('following')
  expect(all(page, '.ticket-item')).toHaveLength(1)
  await tap(page, '.ticket-item')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual([`/pages/ticket/ticket?id=${mine.id}`])
})

function resolvedTicket(env) {
  return env.server.addTicket({
    state: 'resolved',
    version: 6,
    can_rate: true,
    handler: { kind: 'grid_worker', name: '李师傅' },
    photos: [
      { id: 1, phase: 'report', url: '/media/1/display?sig=a', thumb_url: '/media/1/thumb?sig=a' },
      { id: 2, phase: 'after', url: '/media/2/display?sig=b', thumb_url: '/media/2/thumb?sig=b' },
    ],
    events: [
      { id: 1, kind: 'transition', from_state: null, to_state: 'submitted', actor_role: 'resident', note: '', created_at: '2023-06-02T01:00:00+00:00', photos: [] },
      { id: 2, kind: 'transition', from_state: 'accepted', to_state: 'dispatched', actor_role: 'staff', note: '请尽快处理', created_at: '2023-06-02T02:30:00+00:00', photos: [] },
      { id: 3, kind: 'follow', from_state: null, to_state: null, actor_role: 'resident', note: '', created_at: '2023-06-02T03:00:00+00:00', photos: [] },
      { id: 4, kind: 'transition', from_state: 'in_progress', to_state: 'resolved', actor_role: 'assignee', note: '已更换灯泡', created_at: '2023-06-03T10:00:00+00:00', photos: [{ id: 2, phase: 'after', url: '/media/2/display?sig=b', thumb_url: '/media/2/thumb?sig=b' }] },
    ],
  })
}

test("a case's detail: timeline, photos, and 满意 / 基本满意 / 不满意 when it can be rated", async () => {
  const env = setup()
  const ticket = resolvedTicket(env)
  const page = render(env.simulate, 'ticket')
  await page.instance.onLoad({ id: String(ticket.id) })
  await settle()
  expect(text(page, '.ticket-state')).toBe('已处置')
  expect(text(page, '.handler')).toBe('网格员 李师傅 负责')
  const timeline = page.querySelector('#timeline')
  expect(page.data.ticket.timeline.map((i) => [i.title, i.time])).toEqual([
    ['待受理', '2023-06-02 09:00'], ['已派遣', '2023-06-02 10:30'], ['已处置', '2023-06-03 18:00'],
  ])
  expect(timeline.querySelectorAll('.tl-item')).toHaveLength(3) // the follow is not shown
  expect(timeline.querySelectorAll('.tl-note').map((n) => n.dom.textContent)).toEqual(['请尽快处理', '已更换灯泡'])
  expect(timeline.querySelectorAll('.tl-photo')).toHaveLength(1)
  expect(page.data.ticket.afterPhotos[0].url).toBe('https://linli.test/media/2/display?sig=b')
  expect(all(page, '.rate-btn').map((b) => b.dom.textContent.trim())).toEqual(['满意', '基本满意', '不满意'])

  page.instance.onComment({ detail: { value: '很快' } })
  await tap(page, '.rate-satisfied')
  const [post] = env.server.requests('POST', `/tickets/${ticket.id}/rating`)
  expect(post.body).toEqual({ rating: 'satisfied', comment: '很快', version: 6 })
  expect(all(page, '.rate-btn')).toHaveLength(0)
  expect(text(page, '.ticket-state')).toBe('已结案')
})

test('不满意 asks first (the case reopens); cancelling sends nothing', async () => {
  const env = setup()
  const ticket = resolvedTicket(env)
  const page = render(env.simulate, 'ticket')
  await page.instance.onLoad({ id: String(ticket.id) })
  await settle()
  env.phone.state.modalConfirm = false
  await tap(page, '.rate-unsatisfied')
  expect(env.phone.callsOf('showModal')[0].content).toContain('重新办理')
  expect(env.server.requests('POST', `/tickets/${ticket.id}/rating`)).toHaveLength(0)
  env.phone.state.modalConfirm = true
  await tap(page, '.rate-unsatisfied')
  expect(env.server.requests('POST', `/tickets/${ticket.id}/rating`)[0].body.rating).toBe('unsatisfied')
  expect(text(page, '.ticket-state')).toBe('已立案')
})

test('a case that cannot be seen shows the API message', async () => {
  const env = setup()
  const page = render(env.simulate, 'ticket')
  await page.instance.onLoad({ id: '999' })
  await settle()
  expect(text(page, '.error-box')).toBe('事件不存在。')
})

test('notices: a tap marks it read and opens its page; 全部已读', async () => {
  const env = setup()
  env.server.notifications = [
    { id: 2, kind: 'ticket_resolved', title: '楼道灯损坏：已处置', body: '问题已处理，请查看并评价。', page: 'pages/ticket/ticket?id=101', created_at: iso(), read: false },
    { id: 1, kind: 'ticket_accepted', title: '楼道灯损坏：已立案', body: '', page: '', created_at: iso(86400000), read: false },
  ]
  const page = render(env.simulate, 'notices')
  await page.instance.onLoad({})
  await settle()
  expect(all(page, '.notice-item.unread')).toHaveLength(2)
  await tap(page, '.notice-item')
  expect(env.server.requests('POST', '/me/notifications/2/read')).toHaveLength(1)
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/ticket/ticket?id=101'])
  expect(text(page, '.unread-count')).toBe('1')
  await tap(page, '#read-all')
  expect(all(page, '.notice-item.unread')).toHaveLength(0)
  expect(text(page, '.unread-count')).toBe('0')
})

test('我的: what waits for signal can be sent now or dropped', async () => {
  const env = setup()
  const { mod, phone, server } = env
  phone.goOffline()
  await mod('utils/queue').submit({ kind: 'ticket', path: '/tickets', body: { category_id: 11, description: '楼道灯', lat: 30.61, lng: 104.005 }, photos: [], label: '楼道灯' })
  phone.goOnline()
  const page = render(env.simulate, 'me')
  await page.instance.onLoad({})
  await settle()
  expect(all(page, '.waiting-item')).toHaveLength(1)
  expect(text(page, '.waiting-item')).toContain('上报 · 楼道灯')
  await tap(page, '.waiting-item .btn')
  expect(server.requests('POST', '/tickets')).toHaveLength(1)
  expect(all(page, '.waiting-item')).toHaveLength(0)
})
