// Journey 4 on the services pages: 办事预约 → an item's materials → Wednesday 18:30 (延时)
// → the code; a retry after a timeout books once; a full slot; the no-show pause; cancel
// and move.
const { setup, render, text, all, settle } = require('./helpers/env')

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

async function openItem(env, query = { id: '31' }) {
  const page = render(env.simulate, 'item', 'pages/bookings/item')
  await page.instance.onLoad(query)
  await settle()
  return page
}

function pick(page, time) {
  const index = page.data.slots.findIndex((s) => s.time.startsWith(time))
  page.instance.pickSlot({ currentTarget: { dataset: { start: page.data.slots[index].start, full: page.data.slots[index].full } } })
}

test('办事预约 lists the items that can be booked, and my bookings with their codes', async () => {
  const env = setup()
  env.server.bookings[900] = env.server.bookingFor(900, env.server.slotDays[1].slots[1])
  const page = render(env.simulate, 'index', 'pages/bookings/index')
  await page.instance.onLoad({})
  await settle()
  expect(all(page, '.service-item')).toHaveLength(1)
  expect(text(page, '.service-item .item-title')).toBe('城乡居民基本养老保险参保登记')
  expect(text(page, '.booking-status')).toBe('进行中的预约 0/2')
  await tap(page, '#tab-mine')
  expect(all(page, '.booking-item')).toHaveLength(1)
  expect(text(page, '.booking-code-inline')).toBe('7Q4K')
  expect(page.data.mine[0].when).toBe('01-06 周三 18:30–19:00')
  await tap(page, '#tab-items')
  await tap(page, '.service-item')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/bookings/item?id=31'])
})

test('an item: the materials, the first open day, an evening slot, 预约 → the code', async () => {
  const env = setup()
  const { server, phone } = env
  const page = await openItem(env)
  expect(page.data.item.materials).toEqual(['居民身份证原件', '户口簿'])
  expect(all(page, '.material').map((m) => m.dom.textContent.trim())).toEqual(['· 居民身份证原件', '· 户口簿'])
  expect(page.data.days.map((d) => [d.label, d.open, d.note])).toEqual([['01-01 周五', false, '元旦'], ['01-06 周三', true, '']])
  expect(page.data.dayIndex).toBe(1) // the holiday is skipped
  expect(page.data.slots.map((s) => [s.time, s.extended, s.full])).toEqual([
    ['17:30–18:00', false, true], ['18:30–19:00', true, false], ['19:00–19:30', true, false],
  ])
  pick(page, '17:30') // full: cannot be chosen
  expect(page.data.selected).toBe('')
  pick(page, '18:30')
  await tap(page, '#book')

  expect(phone.callsOf('requestSubscribeMessage')[0].tmplIds).toEqual(['tmpl-booking'])
  const [post] = server.requests('POST', '/bookings')
  expect(post.body).toEqual({ point_id: 5, item_id: 31, start_at: '2027-01-06T18:30:00+08:00' })
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  const url = phone.callsOf('redirectTo')[0].url
  expect(url).toMatch(/^\/pages\/bookings\/detail\?id=\d+$/)

  const detail = render(env.simulate, 'detail', 'pages/bookings/detail')
  await detail.instance.onLoad({ id: url.split('=')[1] })
  await settle()
  expect(text(detail, '.booking-code')).toBe('7Q4K')
  expect(text(detail, '.booking-when')).toBe('01-06 周三 18:30–19:00')
  expect(text(detail, '.booking-status')).toBe('已预约')
})

test('a slot inside the cancellation cut-off says so before it is booked', async () => {
  const env = setup()
  env.server.cancellableFrom = '2027-01-06T18:45:00+08:00' // 18:30 starts inside the cut-off
  const page = await openItem(env)
  expect(page.data.slots.map((s) => [s.time, s.noCancel])).toEqual([
    ['17:30–18:00', true], ['18:30–19:00', true], ['19:00–19:30', false],
  ])
  expect(all(page, '.slot-no-cancel')).toHaveLength(1) // the full 17:30 shows 已约满 only
  expect(all(page, '.no-cancel-hint')).toHaveLength(0)
  pick(page, '18:30')
  await settle()
  expect(text(page, '.no-cancel-hint')).toBe('这个时段已过取消截止时间：预约后不能再取消或改约，来不了请联系服务点。')
  pick(page, '19:00')
  await settle()
  expect(all(page, '.no-cancel-hint')).toHaveLength(0)
})

test('a timeout after the server booked it: tapping again books once, with the same key', async () => {
  const env = setup()
  const { server } = env
  server.failNext((r) => r.method === 'POST' && r.path === '/bookings', 'timeout', true)
  const page = await openItem(env)
  pick(page, '19:00')
  await tap(page, '#book')
  expect(page.data.error).toBe('网络太慢，请求超时，请稍后重试。')
  await tap(page, '#book')
  const posts = server.requests('POST', '/bookings')
  expect(posts).toHaveLength(2)
  expect(posts[1].header['idempotency-key']).toBe(posts[0].header['idempotency-key'])
  expect(Object.keys(server.bookings)).toHaveLength(1)
  expect(env.phone.callsOf('redirectTo')).toHaveLength(1)
})

test('a slot taken meanwhile: the message, the slots again, and a new key for the next try', async () => {
  const env = setup()
  const { server } = env
  const page = await openItem(env)
  pick(page, '18:30')
  server.slotDays[1].slots[1].free = 0 // someone else was faster
  await tap(page, '#book')
  expect(text(page, '.error-box')).toContain('这个时间已约满')
  expect(page.data.slots[1].full).toBe(true)
  expect(page.data.selected).toBe('')
  pick(page, '19:00')
  await tap(page, '#book')
  const posts = server.requests('POST', '/bookings')
  expect(posts[1].header['idempotency-key']).not.toBe(posts[0].header['idempotency-key'])
})

test('online booking paused after no-shows: why and until when, and no booking', async () => {
  const env = setup()
  Object.assign(env.server.bookingStatus, { paused: true, paused_until: '2027-02-01T00:00:00+08:00', pause_reason: '90 天内 3 次预约未到。' })
  const page = await openItem(env)
  expect(text(page, '.booking-paused')).toBe('因多次预约未到，在线预约已暂停至 2027-02-01 00:00。90 天内 3 次预约未到。')
  pick(page, '18:30')
  await tap(page, '#book')
  expect(env.server.requests('POST', '/bookings')).toHaveLength(0)
})

test('my booking: cancel (asked first) and move to another slot', async () => {
  const env = setup()
  const { server, phone } = env
  const b = server.bookingFor(900, server.slotDays[1].slots[1])
  server.bookings[900] = b
  const detail = render(env.simulate, 'detail', 'pages/bookings/detail')
  await detail.instance.onLoad({ id: '900' })
  await settle()
  await tap(detail, '#move')
  expect(phone.callsOf('navigateTo')[0].url).toBe('/pages/bookings/item?id=31&reschedule=900')

  const item = await openItem(env, { id: '31', reschedule: '900' })
  expect(text(item, '#book')).toBe('改到这个时间')
  pick(item, '19:00')
  await tap(item, '#book')
  expect(server.requests('POST', '/bookings/900/reschedule')[0].body).toEqual({ start_at: '2027-01-06T19:00:00+08:00' })
  expect(server.requests('POST', '/bookings')).toHaveLength(0)

  phone.state.modalConfirm = false
  await tap(detail, '#cancel')
  expect(server.requests('POST', '/bookings/900/cancel')).toHaveLength(0)
  phone.state.modalConfirm = true
  await tap(detail, '#cancel')
  expect(server.requests('POST', '/bookings/900/cancel')).toHaveLength(1)
  expect(text(detail, '.booking-status')).toBe('已取消')
  expect(detail.querySelector('#cancel')).toBeUndefined()
})

test('办事事项 by department, with a search box: a word of the name or the department, either language', async () => {
  const env = setup()
  env.server.serviceItems.push(
    { id: 32, code: 'SB02', name: '城乡居民医疗保险参保登记', name_en: 'Medical insurance registration', department: '武侯区医保局', materials: [], notes: '', duration_minutes: 20, bookable_online: true },
    { id: 33, code: 'SB03', name: '养老保险待遇领取资格认证', name_en: 'Pension eligibility check', department: '武侯区社保局', materials: [], notes: '', duration_minutes: 15, bookable_online: true },
    { id: 34, code: 'SB04', name: '居住证办理', name_en: 'Residence permit', department: '', materials: [], notes: '', duration_minutes: 30, bookable_online: true },
    { id: 35, code: 'SB05', name: '只在窗口办理的事项', department: '武侯区医保局', materials: [], notes: '', duration_minutes: 30, bookable_online: false },
  )
  const page = render(env.simulate, 'index', 'pages/bookings/index')
  await page.instance.onLoad({})
  await settle()
  // what the page shows, department by department (each title, then its items' names)
  const groups = () => all(page, '.service-group').map((g) => [
    g.dom.querySelector('.main--group-title').textContent.trim(),
    Array.from(g.dom.querySelectorAll('.main--service-item .main--item-title')).map((n) => n.textContent.trim()),
  ])
  expect(groups()).toEqual([
    ['武侯区社保局', ['城乡居民基本养老保险参保登记', '养老保险待遇领取资格认证']],
    ['武侯区医保局', ['城乡居民医疗保险参保登记']],
    ['其他', ['居住证办理']],
  ])
  const search = (value) => page.querySelector('#search').dispatchEvent('input', { detail: { value } })
  search('养老')
  await settle()
  expect(groups()).toEqual([['武侯区社保局', ['城乡居民基本养老保险参保登记', '养老保险待遇领取资格认证']]])
  search('医保局')
  await settle()
  expect(groups()).toEqual([['武侯区医保局', ['城乡居民医疗保险参保登记']]])
  search('  residence  PERMIT ')
  await settle()
  expect(groups()).toEqual([['其他', ['居住证办理']]])
  search('公积金')
  await settle()
  expect(groups()).toEqual([])
  expect(text(page, '.search-none')).toBe('没有找到相关事项，换个词试试')
  page.querySelector('.search-clear').dispatchEvent('tap')
  await settle()
  expect(groups().map((g) => g[1].length)).toEqual([2, 1, 1])
  expect(page.data.search).toBe('')
})
