/**
 * @jest-environment node
 */
// The contract test: the mini-program's own modules (api, upload, queue) against the real
// Flask app, started by this test on 127.0.0.1 (tests/contract/server.py, with the fake
// WeChat server of the Python tests), so that the two cannot drift apart.
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')
const { createFakeWx } = require('../helpers/fake-wx')
const { send, realHttp } = require('../helpers/real-http')

const ROOT = path.resolve(__dirname, '../..')
const REPO = path.resolve(ROOT, '..')
const PYTHON = process.env.LINLI_PYTHON || path.join(REPO, '.venv/bin/python')
const mod = (p) => require(path.join(ROOT, p))

let server
let info
const phones = {}
const state = {}

function startServer() {
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: run \`make install-test\` in ${REPO} (or set LINLI_PYTHON)`)
  }
  return new Promise((resolve, reject) => {
    server = spawn(PYTHON, [path.join(__dirname, 'server.py')], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    server.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n')[0]
      if (out.includes('\n')) resolve(JSON.parse(line))
    })
    server.stderr.on('data', (d) => { err += d })
    server.once('exit', (code) => reject(new Error(`server.py exited ${code}: ${err.slice(-2000)}`)))
  })
}

async function control(pathAndQuery) {
  const res = await send('GET', info.control + pathAndQuery, {})
  return JSON.parse(res.body.toString())
}

async function staff(method, apiPath, body) {
  const res = await send(method, `${info.api}/api/v1${apiPath}`, {
    Authorization: `Bearer ${info.staff_token}`,
    'Content-Type': 'application/json',
  }, body ? Buffer.from(JSON.stringify(body)) : Buffer.from('{}'))
  const data = JSON.parse(res.body.toString() || 'null')
  if (res.status >= 400) throw new Error(`${apiPath}: ${res.status} ${JSON.stringify(data)}`)
  return data
}

// A phone with its own WeChat user (openid), storage and network.
function phone(openid, options = {}) {
  const p = createFakeWx(realHttp(options), {
    loginCode: () => control(`/code?openid=${encodeURIComponent(openid)}`).then((r) => r.code),
  })
  p.use = () => { global.wx = p.wx }
  return p
}

beforeAll(async () => {
  info = await startServer()
  let lose = null
  phones.wang = phone('o-wang', { lose: (e) => Boolean(lose && lose(e) && !(lose = null)) })
  phones.wang.loseNext = (fn) => { lose = fn }
  phones.neighbour = phone('o-neighbour')
  phones.li = phone('o-li')
  phones.wang.use()
  mod('utils/settings').override({ apiBase: info.api })
}, 90000)

afterAll(() => new Promise((resolve) => {
  if (!server || server.exitCode !== null) { resolve(); return }
  const timer = setTimeout(() => server.kill(), 5000)
  server.on('exit', () => { clearTimeout(timer); resolve() })
  server.stdin.end() // server.py stops serving when its standard input closes
}), 10000)

const ticketBody = (description) => ({
  category_id: info.category_id, description, lat: info.lat, lng: info.lng,
  address: '晋阳路 5 号', building: '5栋', unit: '2单元3楼',
})

test('a resident logs in with wx.login and reports with a photo', async () => {
  phones.wang.use()
  const api = mod('utils/api')
  const me = await api.me()
  expect(me.role).toBe('resident')
  expect(phones.wang.state.loginCount).toBe(1)

  const tree = await api.categories()
  const sub = tree.flatMap((top) => top.children).find((c) => c.id === info.category_id)
  expect(sub).toMatchObject({ name: '楼道灯损坏', name_en: expect.any(String) })

  const outcome = await mod('utils/queue').submit({
    kind: 'ticket', path: '/tickets', body: ticketBody('5栋2单元3楼楼道灯不亮'), photos: [info.photo], purpose: 'report',
  })
  expect(outcome.sent).toBe(true)
  const ticket = outcome.result
  expect(ticket).toMatchObject({ state: 'submitted', building: '5栋', can_rate: false })
  expect(ticket.photos).toHaveLength(1)
  expect(ticket.photos[0].url).toMatch(/^\/media\//) // relative: the page prefixes the API origin
  const photo = await send('GET', mod('utils/settings').absoluteUrl(ticket.photos[0].thumb_url), {})
  expect(photo.status).toBe(200)
  expect(photo.headers['content-type']).toBe('image/jpeg')
  state.first = ticket
})

test('an answer lost on the way back: the retry with the same key files nothing new', async () => {
  phones.wang.use()
  const queue = mod('utils/queue')
  phones.wang.loseNext((e) => e.method === 'POST' && e.url.endsWith('/api/v1/tickets'))
  const first = await queue.submit({ kind: 'ticket', path: '/tickets', body: ticketBody('3楼楼道灯也坏了'), photos: [info.photo], purpose: 'report' })
  expect(first.queued).toBe(true)
  const out = await queue.flush()
  expect(out).toEqual({ sent: 1, failed: 0, left: 0 })
  const mine = await mod('utils/api').myTickets({ relation: 'reported' })
  expect(mine.items.map((t) => t.description)).toEqual(['3楼楼道灯也坏了', '5栋2单元3楼楼道灯不亮'])
  state.second = mine.items[0]
})

test('a neighbour sees it nearby and follows it (我也遇到)', async () => {
  phones.neighbour.use()
  const api = mod('utils/api')
  const nearby = await api.nearby({ category: info.category_id, lat: info.lat, lng: info.lng })
  expect(nearby.map((n) => n.id)).toEqual(expect.arrayContaining([state.first.id]))
  expect(nearby[0]).toEqual(expect.objectContaining({ distance_m: expect.any(Number), following: false, created_at: expect.any(String) }))
  const followed = await api.follow(state.first.id)
  expect(followed.follower_count).toBeGreaterThanOrEqual(1)
  const following = await api.myTickets({ relation: 'following' })
  expect(following.items.map((t) => t.id)).toEqual([state.first.id])
})

test('a token the server no longer knows: one new wx.login, then the request goes through', async () => {
  phones.wang.use()
  const session = mod('utils/session')
  session.save(Object.assign({}, session.get(), { token: 'revoked-token' }))
  const before = phones.wang.state.loginCount
  const me = await mod('utils/api').me()
  expect(me.role).toBe('resident')
  expect(phones.wang.state.loginCount).toBe(before + 1)
})

test('errors come in the one shape, in the language the user chose', async () => {
  phones.wang.use()
  const api = mod('utils/api')
  const i18n = mod('utils/i18n')
  const { fieldMessages } = mod('utils/errors')
  const bad = { category_id: info.category_id, description: 'x', lat: info.lat, lng: info.lng }
  const zh = await api.post('/tickets', bad).catch((e) => e)
  expect(zh.status).toBe(422)
  expect(zh.code).toBe('validation_error')
  expect(Object.keys(fieldMessages(zh))).toEqual(['description'])
  expect(zh.message).toMatch(/[\u4e00-\u9fff]/)
  i18n.setLang('en')
  try {
    const en = await api.post('/tickets', bad).catch((e) => e)
    expect(en.code).toBe('validation_error')
    expect(en.message).not.toMatch(/[\u4e00-\u9fff]/)
  } finally {
    i18n.setLang('zh')
  }
})

test('a grid worker binds with the code from staff, checks in and resolves with a photo', async () => {
  await staff('POST', `/tickets/${state.first.id}/accept`)
  await staff('POST', `/tickets/${state.first.id}/dispatch`, { assignee_id: info.worker_id })
  const { binding_code: code } = await staff('POST', `/workers/${info.worker_id}/binding-code`)

  phones.li.use()
  const api = mod('utils/api')
  expect((await api.me()).role).toBe('resident') // a new WeChat user
  const bound = await api.bind(code)
  expect(bound.user.role).toBe('grid_worker')
  expect(mod('utils/session').role()).toBe('grid_worker')

  const tasks = await api.tasks({ lat: info.lat, lng: info.lng })
  const task = tasks.items.find((t) => t.id === state.first.id)
  expect(task).toMatchObject({ state: 'dispatched', overdue: expect.any(Boolean), distance_m: expect.any(Number) })
  const detail = await api.ticket(task.id)
  expect(detail.actions).toEqual(expect.arrayContaining(['resolve', 'hand_back']))

  const checkIn = await api.checkIn(task.id, { lat: info.lat + 0.0003, lng: info.lng })
  expect(checkIn.state).toBe('in_progress')
  expect(checkIn.distance_m).toBeGreaterThan(20)
  expect(checkIn.distance_m).toBeLessThan(50)

  const outcome = await mod('utils/queue').submit({
    kind: 'resolve', path: `/tickets/${task.id}/resolve`, body: { note: '已更换灯泡', version: checkIn.version },
    photos: [info.photo], purpose: 'after', ref: task.id,
  })
  expect(outcome.sent).toBe(true)
  expect(outcome.result.state).toBe('resolved')
  expect(outcome.result.photos.filter((p) => p.phase === 'after')).toHaveLength(1)
})

test('patrol report (accepted at once) and hand back', async () => {
  phones.li.use()
  const api = mod('utils/api')
  const patrol = await mod('utils/queue').submit({
    kind: 'patrol', path: '/worker/patrol-reports', photos: [info.photo],
    body: { category_id: info.patrol_category_id, description: '大门旁堆放垃圾', lat: info.lat, lng: info.lng, address: '大门' },
  })
  expect(patrol.result).toMatchObject({ state: 'accepted', source: expect.any(String) })

  await staff('POST', `/tickets/${state.second.id}/accept`)
  const dispatched = await staff('POST', `/tickets/${state.second.id}/dispatch`, { assignee_id: info.worker_id })
  const back = await api.handBack(state.second.id, { reason: '不是本网格的问题', version: dispatched.version })
  expect(back.state).toBe('accepted')
})

test('the reporter sees the timeline and rates', async () => {
  phones.wang.use()
  const api = mod('utils/api')
  const ticket = await api.ticket(state.first.id)
  expect(ticket.can_rate).toBe(true)
  expect(ticket.events.map((e) => e.to_state)).toEqual(expect.arrayContaining(['submitted', 'dispatched', 'resolved']))
  const view = mod('logic/ticket').view(ticket)
  expect(view.afterPhotos[0].url).toMatch(new RegExp(`^${info.api}/media/`))
  const rated = await api.rate(ticket.id, { rating: 'satisfied', comment: '很快', version: ticket.version })
  expect(rated).toMatchObject({ rating: 'satisfied', can_rate: false })
})

test('notices, templates and subscriptions', async () => {
  phones.wang.use()
  const api = mod('utils/api')
  const { templates } = await api.templates()
  expect(templates.ticket).toBe('tmpl-ticket')
  const grants = await api.reportSubscriptions({ [templates.ticket]: 'accept' })
  expect(grants).toEqual([expect.objectContaining({ template_id: 'tmpl-ticket', remaining: expect.any(Number) })])
  const notices = await api.notifications()
  expect(notices).toEqual({ items: expect.any(Array), next_cursor: null, total: null, unread_count: expect.any(Number) })
  // the one list contract: a limit beyond 200 or a cursor that is not one is a 422 on it
  await expect(api.get('/me/notifications', { limit: 201 })).rejects.toMatchObject({ status: 422, fields: { limit: [expect.any(String)] } })
  await expect(api.notifications({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ status: 422, fields: { cursor: ['分页游标无效。'] } })
  const all = await api.readAll()
  expect(all.unread_count).toBe(0)
})

test('办事预约: materials, free slots, a booking with its code (a lost answer books once), cancel', async () => {
  phones.neighbour.use()
  const api = mod('utils/api')
  const items = await api.serviceItems()
  const item = items.find((i) => i.id === info.service_item_id)
  expect(item).toMatchObject({ materials: ['居民身份证原件', '户口簿'], bookable_online: true, duration_minutes: 30 })
  const centres = await api.centres(item.id)
  expect(centres.map((c) => c.id)).toEqual([info.centre_id])

  const answer = await api.slots(info.centre_id, item.id)
  const bookings = mod('logic/bookings')
  const day = answer.days[bookings.firstOpenDay(answer.days)]
  expect(bookings.slotRows(day)[0].time).toMatch(/^\d\d:\d\d–\d\d:\d\d$/)
  // a slot the resident may still cancel: one starting after cancellable_from (the first free
  // slot can start inside the 2-hour cut-off early in the morning: bookable, not cancellable)
  expect(Date.parse(answer.cancellable_from) - Date.now()).toBeGreaterThan(110 * 60 * 1000)
  const cancellableFrom = Date.parse(answer.cancellable_from) + 10 * 60 * 1000
  const slot = answer.days.flatMap((d) => d.slots || [])
    .find((s) => s.free > 0 && Date.parse(s.start) > cancellableFrom)
  expect(slot).toBeDefined() // 14 days ahead always hold a working day

  const key = mod('utils/idempotency').newKey()
  const choice = { centreId: info.centre_id, itemId: item.id, startAt: slot.start }
  const lost = phone('o-neighbour', { lose: (e) => e.method === 'POST' && e.url.endsWith('/api/v1/bookings') })
  lost.wx.setStorageSync('linli.session', phones.neighbour.wx.getStorageSync('linli.session'))
  lost.use()
  await expect(api.book(choice, key)).rejects.toMatchObject({ timeout: true })
  phones.neighbour.use()
  const booked = await api.book(choice, key) // the retry: the first answer
  expect(booked).toMatchObject({ status: 'booked', can_cancel: true, code: expect.stringMatching(/^[0-9A-Z]{4,8}$/) })
  const mine = await api.myBookings({ scope: 'upcoming' })
  expect(mine.items.map((b) => b.id)).toEqual([booked.id])
  expect(bookings.bookingView(mine.items[0]).code).toBe(booked.code)
  expect((await api.bookingStatus()).active).toBe(1)

  const cancelled = await api.cancelBooking(booked.id)
  expect(cancelled.status).toBe('cancelled')
  expect((await api.bookingStatus()).active).toBe(0)
})

test('志愿服务: profile, join, sign up → waitlist → moved up, check in and out with the leader\'s code, records', async () => {
  const api = mod('utils/api')
  const volunteers = mod('logic/volunteers')
  const { newKey } = mod('utils/idempotency')
  const inMinutes = (n) => new Date(Date.now() + n * 60000).toISOString()
  // community A's staff run an open team and an activity with one place, starting soon
  const team = await staff('POST', '/volunteer-teams', { place_id: info.place_id, name: '环境保护', join_policy: 'open' })
  const activity = await staff('POST', `/volunteer-teams/${team.id}/activities`, {
    title: '垃圾分类宣传', content: '在社区广场讲解垃圾分类。', start_at: inMinutes(10), end_at: inMinutes(120),
    place_name: '晋阳社区广场', capacity: 1, status: 'published',
  })

  phones.neighbour.use()
  await api.saveVolunteerProfile({ real_name: '李邻居', phone: '13900000301', consent: true })
  expect((await api.joinTeam(team.id)).status).toBe('active')
  expect((await api.signUp(activity.id, newKey())).status).toBe('signed')

  phones.wang.use()
  expect(await api.volunteerProfile()).toBeNull()
  await expect(api.joinTeam(team.id)).rejects.toMatchObject({ status: 409, code: 'profile_required' })
  const form = Object.assign(volunteers.profileForm(null), {
    realName: '王阿姨', phone: '13900000201', skills: '急救、摄影', idNumber: '11010519491231002x', consent: true,
  })
  const profile = await api.saveVolunteerProfile(volunteers.profileBody(form))
  expect(profile).toMatchObject({ real_name: '王阿姨', skills: ['急救', '摄影'], id_number_last4: '002X' })
  expect(JSON.stringify(await api.volunteerProfile())).not.toContain('11010519491231002X')

  const teams = await api.volunteerTeams({ placeId: info.place_id })
  expect(teams.items.map((t) => t.id)).toEqual([team.id])
  expect(volunteers.teamView(teams.items[0])).toMatchObject({ canJoin: true, policyText: '直接加入' })
  expect((await api.joinTeam(team.id)).status).toBe('active')
  expect((await api.myVolunteerTeams()).map((m) => [m.team_id, m.status])).toEqual([[team.id, 'active']])

  const listed = await api.volunteerActivities({ teamId: team.id })
  expect(listed.items.map((a) => a.id)).toEqual([activity.id])
  const key = newKey()
  const waiting = await api.signUp(activity.id, key)
  expect(waiting).toMatchObject({ status: 'waitlisted', waitlist_position: 1 })
  expect(await api.signUp(activity.id, key)).toEqual(waiting) // a retry with the key: the same answer
  const seen = volunteers.activityView(await api.volunteerActivity(activity.id))
  expect(seen).toMatchObject({ mySignup: 'waitlisted', signed: 1, capacity: 1, waiting: 1, canWithdraw: true })

  phones.neighbour.use()
  expect((await api.withdrawSignup(activity.id)).status).toBe('withdrawn')
  phones.wang.use()
  expect((await api.volunteerActivity(activity.id)).my_signup).toBe('signed') // moved up

  // the leader's code (30 minutes before the start the window is open)
  const { code } = await staff('GET', `/volunteer-activities/${activity.id}/check-in-code`)
  const wrong = code === '000000' ? '111111' : '000000'
  const refused = await api.activityCheckIn(activity.id, wrong).catch((e) => e)
  expect(refused).toMatchObject({ status: 422, fields: { code: [expect.stringContaining('签到码无效')] } })
  const open = await api.activityCheckIn(activity.id, code)
  expect(open).toMatchObject({ activity_id: activity.id, status: 'open', check_out_at: null })
  expect(volunteers.attendanceStep(open)).toBe('check_out')
  const { code: again } = await staff('GET', `/volunteer-activities/${activity.id}/check-in-code`)
  const closed = await api.activityCheckOut(activity.id, again)
  expect(closed).toMatchObject({ status: 'pending', hours: expect.any(Number) })
  expect(volunteers.attendanceStep(closed)).toBe('done')

  const records = await api.myServiceRecords()
  expect(records.map((r) => [r.activity_id, r.status])).toEqual([[activity.id, 'pending']])
  expect(volunteers.recordView(records[0])).toMatchObject({ title: '垃圾分类宣传', statusText: '待认定' })
  const summary = await api.volunteerSummary()
  expect(summary).toMatchObject({ approved_hours: 0, star_level: 0, thresholds: [100, 300, 600, 1000, 1500] })
  const html = volunteers.recordHtml(await api.volunteerRecordHtml())
  expect(html).toContain('志愿服务记录')
  expect(html).toContain('**************002X')
  expect(html).not.toMatch(/<style|<head/)
})

test('居民参与: declare my home → staff confirm → a notice read and objected to → sign the 院落公约 once → support a proposal → one ballot', async () => {
  const api = mod('utils/api')
  const participation = mod('logic/participation')
  const queue = mod('utils/queue')
  const { newKey } = mod('utils/idempotency')
  const inMinutes = (n) => new Date(Date.now() + n * 60000).toISOString()
  const community = info.place_id
  const communityRow = (await api.communities()).find((c) => c.id === community)
  expect(communityRow).toBeDefined()
  // its yards (level-3 cells) for the declaration form: only this community's
  const yards = await api.yards(communityRow)
  expect(yards.length).toBeGreaterThan(0)
  expect(yards.every((y) => y.level === 'grid3' && y.code.startsWith(communityRow.code))).toBe(true)

  // two neighbours declare their homes; a lost answer retried with the key declares once
  phones.neighbour.use()
  const theirs = await api.declareResidency({ community_id: community, building: '5栋', unit: '1单元', room: '302', phone: '13900000301' }, newKey())
  phones.wang.use()
  const body = { community_id: community, yard_id: yards[0].id, building: '3栋', unit: '2单元', room: '501', name: '王阿姨', phone: '13900000201' }
  const key = newKey()
  const mine = await api.declareResidency(body, key)
  expect(mine).toMatchObject({ status: 'pending', has_voice: false, room: '501', yard_id: yards[0].id })
  expect(await api.declareResidency(body, key)).toEqual(mine)
  expect(participation.voteBlock(await api.myResidencies(), community)).toBe('您的住址正在等待社区确认，确认后才能投票。')
  await expect(api.communityFunds(community)).rejects.toMatchObject({ status: 403 })

  await staff('POST', `/residencies/${mine.id}/confirm`)
  await staff('POST', `/residencies/${theirs.id}/confirm`)
  const homes = await api.myResidencies()
  expect(homes.map(participation.residencyView)).toEqual([expect.objectContaining({ id: mine.id, hasVoice: true, statusText: '已确认' })])
  expect(participation.voteBlock(homes, community)).toBe('')

  // a 公示 on the home page: unread, read once however often it is opened; an objection in its window
  const published = await staff('POST', `/communities/${community}/notices`, {
    kind: 'disclosure', title: '微项目预算公示', body: '楼道扶手 3000 元。', publish_until: inMinutes(7 * 24 * 60),
  })
  const page = await api.myNotices()
  expect(page).toMatchObject({ next_cursor: null, total: page.items.length })
  const board = page.items.map((n) => participation.noticeView(n))
  expect(board.find((n) => n.id === published.id)).toMatchObject({ read: false, disclosure: true, windowOpen: true })
  expect(await api.readNotice(published.id)).toMatchObject({ first_read: true, read_count: 1 })
  expect(await api.readNotice(published.id)).toMatchObject({ first_read: false, read_count: 1 })
  expect((await api.communityNotice(published.id)).read).toBe(true)
  const objectionKey = newKey()
  const objection = await api.objectToNotice(published.id, '请公开比价。', objectionKey)
  expect(await api.objectToNotice(published.id, '请公开比价。', objectionKey)).toEqual(objection)
  expect((await api.myObjections(published.id)).map(participation.objectionView))
    .toEqual([expect.objectContaining({ body: '请公开比价。', answered: false })])

  // 院落自治: the yard's 院落公约 published by staff, signed once for my household; a 党务 notice on its tab
  const yardsLogic = mod('logic/yards')
  const convention = await staff('POST', `/yards/${yards[0].id}/conventions`, { title: '院落公约', body: '爱护院落环境。' })
  const [yard] = await api.myYards()
  expect(yard).toMatchObject({ id: yards[0].id })
  expect(yardsLogic.yardView(yard).conventions[0]).toMatchObject({ title: '院落公约', canSign: true, signed: false })
  expect((await api.signConvention(convention.current.id)).new).toBe(true)
  expect((await api.signConvention(convention.current.id)).new).toBe(false)
  expect(yardsLogic.conventionView(await api.convention(convention.id))).toMatchObject({ signed: true, canSign: false, coverage: '已签署 1/1 户' })
  expect((await api.yardMeetings(yards[0].id)).items).toEqual([])
  await staff('POST', `/communities/${community}/notices`, { area: 'party', title: '党费收缴公示', body: '第三季度。' })
  expect((await api.myNotices('party')).items.map((n) => n.title)).toEqual(['党费收缴公示'])

  // the neighbour proposes with a photo (the submission queue: upload, then the POST with its key)
  phones.neighbour.use()
  const outcome = await queue.submit({
    kind: 'proposal', path: '/proposals', purpose: 'proposal', photos: [info.photo],
    body: participation.proposalBody({ title: '3 栋楼道加装扶手', problem: '老人上下楼不便。', action: '每层加装扶手。', cost: '3000' }, community, []),
  })
  expect(outcome.sent).toBe(true)
  expect(outcome.result).toMatchObject({ state: 'open', estimated_cost: '3000.00', support_count: 0, mine: true })
  expect(outcome.result.photos).toHaveLength(1)

  phones.wang.use()
  const listed = (await api.proposals({ communityId: community })).items.map(participation.proposalView)
  expect(listed.find((p) => p.id === outcome.result.id)).toMatchObject({ canSupport: true, cost: '¥3000.00' })
  const first = await api.supportProposal(outcome.result.id)
  expect(first.new).toBe(true)
  expect(participation.proposalView(first.proposal)).toMatchObject({ supported: true, canSupport: false, supportText: '附议 1/10' })
  expect((await api.supportProposal(outcome.result.id)).new).toBe(false)
  expect((await api.proposal(outcome.result.id)).support_count).toBe(1)

  // the fund and a pick-1 vote, called by staff; one ballot, a replay answers the same, a second is 409
  const fund = await staff('POST', `/communities/${community}/funds`, { year: 2026, amount: '50000' })
  const round = await staff('POST', `/funds/${fund.id}/vote-rounds`, {
    title: '2026 微项目投票', method: 'pick_n', pick_n: 1, opens_at: inMinutes(-1), closes_at: inMinutes(60),
    options: [{ title: '楼道扶手', cost: '3000' }, { title: '小区路灯', cost: '12000' }],
  })
  const funds = await api.communityFunds(community)
  expect(participation.fundView(funds[0])).toMatchObject({ year: 2026, amount: '¥50000.00', remaining: '¥50000.00' })
  expect(participation.ledgerView(await api.fundLedger(fund.id))).toMatchObject({ balance: '¥0.00', balanced: true })
  expect((await api.voteRounds(fund.id)).map((r) => r.id)).toEqual([round.id])
  const seen = await api.voteRound(round.id)
  expect(participation.roundView(seen)).toMatchObject({ isOpen: true, voted: false, rule: '最多选 1 项' })
  const [a, b] = seen.options.map((o) => o.id)
  const picked = participation.toggleChoice(seen, [], a)
  expect(participation.toggleChoice(seen, picked.chosen, b).error).toBe('最多选择 1 项')
  const ballotKey = newKey()
  const ballot = await api.castBallot(round.id, picked.chosen, ballotKey)
  expect(ballot).toMatchObject({ round_id: round.id, source: 'online', option_ids: [a] })
  expect(await api.castBallot(round.id, picked.chosen, ballotKey)).toEqual(ballot)
  await expect(api.castBallot(round.id, [b], newKey())).rejects.toMatchObject({
    status: 409, code: 'already_voted', message: expect.stringContaining('每人每轮只能投一票'),
  })
  expect(participation.roundView(await api.voteRound(round.id))).toMatchObject({ voted: true })
  expect((await api.voteRound(round.id)).my_choices).toEqual([a])

  // moving out: the home ends, and with it the say in this community
  expect(await api.endResidency(mine.id)).toMatchObject({ id: mine.id, status: 'ended', has_voice: false })
  await expect(api.communityFunds(community)).rejects.toMatchObject({ status: 403 })
})

test('我的资料 and 社区三率 against the real API: the consent text, the phone by WeChat and typed, removal', async () => {
  phones.neighbour.use()
  const api = mod('utils/api')
  const consent = await api.phoneConsent()
  expect(consent).toEqual({ version: expect.any(String), title: '手机号使用说明', text: expect.stringContaining('删除') })
  const named = await api.updateProfile('晋阳小邻居')
  expect(named.display_name).toBe('晋阳小邻居')
  const { code } = await control('/phone-code?phone=13800138000')
  const viaWeChat = await api.savePhone({ code, consentVersion: consent.version })
  expect(viaWeChat).toMatchObject({ phone: '13800138000', phone_source: 'wechat', phone_consent_at: expect.any(String) })
  await expect(api.savePhone({ code, consentVersion: consent.version })).rejects.toMatchObject({ status: 422 })
  const typed = await api.savePhone({ phone: '13900001111', consentVersion: consent.version })
  expect(typed).toMatchObject({ phone: '13900001111', phone_source: 'typed' })
  await expect(api.savePhone({ phone: '13900001111', consentVersion: 'old' })).rejects.toMatchObject({ status: 422 })
  await api.deletePhone()
  expect(await api.me()).toMatchObject({ phone: null, phone_source: null, phone_consent_at: null })

  const body = await api.communityPerformance(90)
  expect(body.period).toMatchObject({ days: 90, from: expect.any(String), to: expect.any(String) })
  expect(body.communities.length).toBeGreaterThan(0)
  expect(body.communities[0]).toEqual(expect.objectContaining({
    name: expect.any(String), street_name: expect.any(String),
    response_rate: expect.objectContaining({ numerator: expect.any(Number), denominator: expect.any(Number) }),
    overdue: expect.objectContaining({ total: expect.any(Number) }),
  }))
})

test('the language I read is kept by the real API and wins over this phone\'s (issue 21)', async () => {
  phones.neighbour.use()
  const api = mod('utils/api')
  const i18n = mod('utils/i18n')
  try {
    const me = await api.setLanguage('en')
    expect(me.language).toBe('en')
    i18n.setLang('zh') // this phone says Chinese; the server's English wins
    const bad = await api.post('/tickets', { description: 'x' }).catch((e) => e)
    expect(bad.code).toBe('validation_error')
    expect(bad.message).not.toMatch(/[\u4e00-\u9fff]/)
    expect((await api.me()).language).toBe('en')
    expect(i18n.getLang()).toBe('en') // adopted from the server
    await expect(api.setLanguage('fr')).rejects.toMatchObject({ status: 422 })
  } finally {
    await api.setLanguage(null)
    i18n.setLang('zh')
  }
  expect((await api.me()).language).toBe(null)
})
