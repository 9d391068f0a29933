// Each page asks for each of its resources once when it opens — WeChat calls onLoad and
// then onShow, and only onLoad asks — and asks again when the resident comes back to it
// (a later onShow). Counted on the fake phone's wx.request.
const { setup, render, settle } = require('./helpers/env')
const { volunteerApi } = require('./helpers/volunteer-api')
const { participationApi, withHome } = require('./helpers/participation-api')

// "GET /me/tickets" → how many times wx.request asked for it (the query left out), logins
// (POST /auth/…) aside.
function counts(phone) {
  const out = {}
  phone.state.requests.filter((r) => r.kind === 'request' && r.method === 'GET').forEach((r) => {
    const path = new URL(r.url).pathname.replace(/^\/api\/v1/, '')
    const key = `GET ${path}`
    out[key] = (out[key] || 0) + 1
  })
  return out
}

function since(before, after) {
  const out = {}
  Object.keys(after).forEach((k) => {
    const n = after[k] - (before[k] || 0)
    if (n) out[k] = n
  })
  return out
}

const PAGES = [
  ['home', 'pages/home/home', {}, ['GET /me', 'GET /categories', 'GET /me/notifications', 'GET /me/tickets', 'GET /me/notices'],
    ['GET /me', 'GET /me/notifications', 'GET /me/tickets', 'GET /me/notices']],
  ['bookings', 'pages/bookings/index', {}, ['GET /service-items', 'GET /me/booking-status', 'GET /me/bookings'],
    ['GET /service-items', 'GET /me/booking-status', 'GET /me/bookings']],
  ['volunteers', 'pages/volunteers/index', {}, null, null],
  ['participation', 'pages/participation/index', {}, null, null],
  ['tasks', 'pages/tasks/tasks', {}, null, null],
  ['tickets', 'pages/tickets/tickets', { relation: 'reported' }, ['GET /categories', 'GET /me/tickets'], null],
  ['me', 'pages/me/me', {}, ['GET /me'], null],
]

describe.each(PAGES)('%s', (name, file, query, opening, returning) => {
  test('opening asks for each resource once; coming back asks again', async () => {
    const env = setup()
    volunteerApi(env.server)
    withHome(participationApi(env.server))
    if (name === 'tasks') env.server.user = Object.assign({}, env.server.user, { role: 'grid_worker' })
    env.server.addTicket({ state: 'dispatched' })
    const page = render(env.simulate, name, file)
    await page.instance.onLoad(query)
    if (page.instance.onShow) await page.instance.onShow() // WeChat: onShow right after onLoad
    await settle()
    expect(page.data.error).toBe('')
    const opened = counts(env.phone)
    expect(Object.keys(opened).length).toBeGreaterThan(0)
    Object.entries(opened).forEach(([key, n]) => expect([key, n]).toEqual([key, 1]))
    if (opening) expect(Object.keys(opened).sort()).toEqual(opening.slice().sort())

    if (!page.instance.onShow) return
    await page.instance.onShow() // back from another page or tab
    await settle()
    const again = since(opened, counts(env.phone))
    Object.entries(again).forEach(([key, n]) => expect([key, n]).toEqual([key, 1]))
    if (returning) expect(Object.keys(again).sort()).toEqual(returning.slice().sort())
  })
})

test('首页 used to ask twice when its answers came in before onShow: no longer', async () => {
  const env = setup()
  const page = render(env.simulate, 'home')
  await page.instance.onLoad({})
  await settle() // every answer in before WeChat shows the page
  await page.instance.onShow()
  await settle()
  expect(counts(env.phone)['GET /me/tickets']).toBe(1)
  expect(counts(env.phone)['GET /me/notices']).toBe(1)
})
