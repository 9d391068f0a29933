// The plain modules behind the pages.
const { setup } = require('./helpers/env')
const { CATEGORIES } = require('./helpers/fake-api')

test('times are shown in Shanghai, "2 天前" counts calendar days', () => {
  const { mod } = setup()
  const format = mod('utils/format')
  const now = Date.parse('2025-06-05T02:00:00Z') // 10:00 in Shanghai
  expect(format.time('2025-06-02T16:30:00+00:00', now)).toBe('06-03 00:30')
  expect(format.time('2024-12-31T16:00:00Z', now)).toBe('01-01 00:00') // this year: no year shown
  expect(format.time('2024-12-31T15:00:00Z', now)).toBe('2024-12-31 23:00')
  expect(format.time('2023-03-01T00:00:00Z', now)).toBe('2023-03-01 08:00')
  expect(format.ago('2025-06-04T17:00:00Z', now)).toBe('今天') // 01:00 today in Shanghai
  expect(format.ago('2025-06-04T15:00:00Z', now)).toBe('昨天')
  expect(format.ago('2025-06-03T01:00:00Z', now)).toBe('2 天前')
  expect(format.distance(30.2)).toBe('30 米')
  expect(format.distance(1520)).toBe('1.5 公里')
  expect(format.distance(null)).toBe('')
})

test('the report form is checked like the API checks it', () => {
  const { mod } = setup()
  const report = mod('logic/report')
  const form = Object.assign(report.emptyForm(), { categoryId: 11, description: ' 灯坏了 ', lat: 30.6, lng: 104.0, building: '5栋 ' })
  expect(report.validate(form)).toEqual({})
  expect(report.ticketBody(form)).toEqual({ category_id: 11, description: '灯坏了', lat: 30.6, lng: 104.0, address: '', building: '5栋', unit: '' })
  expect(report.patrolBody(form)).toEqual({ category_id: 11, description: '灯坏了', lat: 30.6, lng: 104.0, address: '' })
  expect(Object.keys(report.validate(Object.assign({}, form, { description: 'x', photos: new Array(10).fill('p') })))).toEqual(['description', 'photo_ids'])
})

test('the nearby prompt names the count and the age of the newest', () => {
  const { mod } = setup()
  const report = mod('logic/report')
  const now = Date.parse('2025-06-05T02:00:00Z')
  const items = [
    { id: 1, description: 'a', state: 'accepted', distance_m: 120, created_at: '2025-06-01T02:00:00Z', follower_count: 0 },
    { id: 2, description: 'b', state: 'dispatched', distance_m: 30, created_at: '2025-06-03T02:00:00Z', follower_count: 3 },
  ]
  expect(report.nearbyNotice(items, now)).toBe('附近已有 2 条相同问题（2 天前）')
  expect(report.nearbyNotice([], now)).toBe('')
  expect(report.nearbyRows(items, now)[1]).toMatchObject({ id: 2, state: '已派遣', distance: '30 米', followers: 3 })
})

test('categories: picker columns, and names in the chosen language', () => {
  const { mod } = setup()
  const categories = mod('logic/categories')
  const i18n = mod('utils/i18n')
  expect(categories.topNames(CATEGORIES)).toEqual(['公共设施', '环境'])
  expect(categories.subNames(CATEGORIES, 0)).toEqual(['楼道灯损坏', '井盖缺失'])
  expect(categories.pick(CATEGORIES, 0, 1)).toEqual({ id: 12, name: '公共设施 › 井盖缺失', is_private: false })
  expect(categories.pick(CATEGORIES, 0, 5)).toBeNull()
  const ref = { id: 11, name: '楼道灯损坏', parent_name: '公共设施' }
  expect(categories.nameOf(ref)).toBe('公共设施 › 楼道灯损坏') // before the tree is known
  categories.index(CATEGORIES)
  i18n.setLang('en')
  expect(categories.nameOf(ref)).toBe('Public facilities › Stairwell light broken')
  expect(categories.topNames(CATEGORIES)).toEqual(['Public facilities', 'Environment'])
})

test('tasks: overdue from the flag or the due time, ordered nearest or overdue first', () => {
  const { mod } = setup()
  const tasks = mod('logic/tasks')
  const now = Date.parse('2025-06-05T02:00:00Z')
  const list = [
    { id: 1, state: 'dispatched', distance_m: null, due_at: '2025-06-06T02:00:00Z', overdue: false },
    { id: 2, state: 'in_progress', distance_m: 500, due_at: '2025-06-05T01:00:00Z', overdue: false },
    { id: 3, state: 'dispatched', distance_m: 50, due_at: '2025-06-07T02:00:00Z', overdue: false },
  ]
  expect(tasks.rows(list, 'nearest', now).map((r) => r.id)).toEqual([3, 2, 1])
  expect(tasks.rows(list, 'overdue', now).map((r) => [r.id, r.overdue])).toEqual([[2, true], [1, false], [3, false]])
  expect(tasks.buttons({ state: 'dispatched', actions: ['start', 'resolve', 'hand_back'] }))
    .toEqual({ start: true, checkIn: true, resolve: true, handBack: true })
  expect(tasks.buttons({ state: 'resolved', actions: [] }))
    .toEqual({ start: false, checkIn: false, resolve: false, handBack: false })
})

test('a ticket view: reporter sees can_rate and supplements; a follower the public view', () => {
  const { mod } = setup()
  const ticket = mod('logic/ticket')
  const resident = ticket.view({ id: 1, state: 'dispatched', can_rate: false, events: [], photos: [], category: { id: 11, name: '楼道灯损坏' } })
  expect(resident).toMatchObject({ canRate: false, canSupplement: true, open: true })
  const follower = ticket.view({ id: 1, state: 'dispatched', photos: [], place_name: 'A 三级网格 1', category: { id: 11, name: '楼道灯损坏' } })
  expect(follower).toMatchObject({ canRate: false, canSupplement: false, place: 'A 三级网格 1', timeline: [] })
})

test('idempotency keys are unique and fit the API limit (100 characters)', () => {
  const { mod } = setup()
  const { newKey } = mod('utils/idempotency')
  const keys = new Set(Array.from({ length: 1000 }, () => newKey()))
  expect(keys.size).toBe(1000)
  keys.forEach((k) => expect(k.length).toBeLessThanOrEqual(100))
})

test('subscribe: at most 3 template ids, and nothing to ask when none is configured', async () => {
  const { mod, phone, server } = setup()
  const subscribe = mod('utils/subscribe')
  expect(await subscribe.ask(['ticket'])).toBeNull() // not fetched yet: no dialog
  expect(phone.callsOf('requestSubscribeMessage')).toHaveLength(0)
  server.route('GET', '/notifications/templates', () => ({ status: 200, body: { templates: { a: 't1', b: 't2', c: 't3', d: 't4' } } }))
  await subscribe.prefetch()
  expect(subscribe.idsFor(['a', 'b', 'c', 'd', 'a'])).toEqual(['t1', 't2', 't3'])
  phone.state.subscribe = 'reject'
  expect(await subscribe.ask(['a', 'b'])).toEqual({ t1: 'reject', t2: 'reject' })
  await subscribe.reported()
  expect(server.subscriptions).toEqual([{ t1: 'reject', t2: 'reject' }])
})
