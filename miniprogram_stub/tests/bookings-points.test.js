// Several service points per community (issue 21): the booking flow's point picker — each
// point with today's hours, nearest first when the phone gives its location — and the
// booking naming the chosen point.
const { setup, render, text, all, settle } = require('./helpers/env')

const STATION = {
  id: 6, name: '连心驿站（3号院）', address: '晋阳路 3 号院', phone: '028-85000103', place: { id: 1, code: '003', name: '晋阳社区' }, closed_on_holidays: true,
  kind: 'station', kind_text: '连心驿站', place_id: 1, lat: 30.6341, lng: 104.0358, sort_order: 1, is_main: false,
  today: { date: '2027-01-06', is_open: true, closed_reason: null, note: null, hours: [{ start: '14:00', end: '17:00', kind: 'regular' }] },
  distance_m: null,
}
const STATION_DAYS = [{
  date: '2027-01-06', weekday: 2, open: true, closed_reason: null, closed_label: null, day_kind: 'workday', note: null,
  slots: [{ start: '2027-01-06T14:00:00+08:00', end: '2027-01-06T14:30:00+08:00', kind: 'regular', capacity: 1, free: 1 }],
}]

function world({ lang, location, denied } = {}) {
  const env = setup()
  env.server.centres.push(JSON.parse(JSON.stringify(STATION)))
  env.server.slotDaysByCentre[6] = JSON.parse(JSON.stringify(STATION_DAYS))
  if (location) env.phone.state.location = location
  if (denied) env.phone.state.locationError = 'getLocation:fail auth deny'
  if (lang) env.mod('utils/i18n').setLang(lang)
  return env
}

async function openItem(env, query = { id: '31' }) {
  const page = render(env.simulate, 'item', 'pages/bookings/item')
  await page.instance.onLoad(query)
  await settle()
  return page
}

function tap(page, selector, index = 0) {
  all(page, selector)[index].dispatchEvent('tap')
  return settle(60)
}

const names = (page) => all(page, '.point .point-name').map((n) => n.dom.textContent.replace(/\s+/g, ' ').trim())

test('nearest first: the 连心驿站 next door before the centre, each with today\'s hours and distance', async () => {
  const env = world({ location: { latitude: 30.6345, longitude: 104.0355 } })
  const page = await openItem(env)
  const [listed] = env.server.requests('GET', '/service-centres')
  expect(listed.query).toMatchObject({ item_id: '31', lat: '30.6345', lng: '104.0355' })
  expect(env.phone.callsOf('getLocation')[0].type).toBe('gcj02')
  expect(names(page)).toEqual(['连心驿站（3号院） 连心驿站', '晋阳社区党群服务中心 服务中心'])
  expect(text(page, '.point-hint')).toBe('按离您的距离排列')
  expect(all(page, '.point-today').map((n) => n.dom.textContent.trim())).toEqual([
    '今日 14:00–17:00', '今日 09:00–12:00、13:30–18:00、18:00–20:00'])
  expect(page.data.centres[0].distance).toMatch(/^\d+ m$/)
  expect(page.data.centres[1].distance).toBe('472 m')
  const logic = env.mod('logic/bookings')
  expect([logic.distanceText(1640), logic.distanceText(999), logic.distanceText(null)]).toEqual(['1.6 km', '999 m', ''])
  // the nearest is chosen: its own slot, and the booking names it
  expect(page.data.slots.map((s) => s.time)).toEqual(['14:00–14:30'])
  expect(all(page, '.point')[0].dom.className).toMatch(/point-on/)
  page.instance.pickSlot({ currentTarget: { dataset: { start: '2027-01-06T14:00:00+08:00', full: false } } })
  page.querySelector('#book').dispatchEvent('tap')
  await settle(60)
  const [post] = env.server.requests('POST', '/bookings')
  expect(post.body).toEqual({ point_id: 6, item_id: 31, start_at: '2027-01-06T14:00:00+08:00' })
})

test('another point: its slots are loaded and the booking goes there', async () => {
  const env = world({ location: { latitude: 30.6345, longitude: 104.0355 } })
  const page = await openItem(env)
  await tap(page, '.point', 1)
  expect(page.data.centreIndex).toBe(1)
  const slotCalls = env.server.requests('GET', '/service-centres/5/slots')
  expect(slotCalls).toHaveLength(1)
  expect(page.data.slots.map((s) => s.time)).toEqual(['17:30–18:00', '18:30–19:00', '19:00–19:30'])
  await tap(page, '.point', 1) // the same point again: nothing reloaded
  expect(env.server.requests('GET', '/service-centres/5/slots')).toHaveLength(1)
  page.instance.pickSlot({ currentTarget: { dataset: { start: '2027-01-06T18:30:00+08:00', full: false } } })
  page.querySelector('#book').dispatchEvent('tap')
  await settle(60)
  expect(env.server.requests('POST', '/bookings')[0].body.point_id).toBe(5)
})

test('no location (the resident said no): the community\'s order, no distances, no hint', async () => {
  const env = world({ denied: true })
  const page = await openItem(env)
  const [listed] = env.server.requests('GET', '/service-centres')
  expect(listed.query.lat).toBeUndefined()
  expect(names(page)).toEqual(['晋阳社区党群服务中心 服务中心', '连心驿站（3号院） 连心驿站'])
  expect(all(page, '.point-hint')).toHaveLength(0)
  expect(page.data.centres.map((c) => c.distance)).toEqual(['', ''])
  expect(page.data.error).toBeFalsy()
})

test('a point closed today says so', async () => {
  const env = world({ denied: true })
  Object.assign(env.server.centres[1].today, { is_open: false, closed_reason: 'rest_day', hours: [] })
  const page = await openItem(env)
  expect(all(page, '.point-today').map((n) => n.dom.textContent.trim())[1]).toBe('今日不开放')
  expect(all(page, '.point')[1].dom.className).toMatch(/point-closed/)
})

test('moving a booking stays at its own point', async () => {
  const env = world({ location: { latitude: 30.6345, longitude: 104.0355 } })
  env.server.bookings[900] = env.server.bookingFor(900, env.server.slotDays[1].slots[1])
  const page = await openItem(env, { id: '31', reschedule: '900' })
  expect(page.data.centres.map((c) => c.id)).toEqual([5])
  expect(all(page, '.point')).toHaveLength(0)
  expect(text(page, '.point-only')).toContain('晋阳社区党群服务中心')
})

test('in English', async () => {
  const env = world({ lang: 'en', denied: true })
  const page = await openItem(env)
  expect(all(page, '.point-today').map((n) => n.dom.textContent.trim())).toEqual([
    'Today 09:00–12:00, 13:30–18:00, 18:00–20:00', 'Today 14:00–17:00'])
  expect(page.dom.textContent).toContain('Choose a service point')
})
