// A small stateful fake of the Linli API at the HTTP level (what wx.request and
// wx.uploadFile see): tokens and 401, the one error shape, Idempotency-Key replays, and the
// endpoints the pages call. The contract test checks the real API against the same module.
const ORIGIN = 'https://linli.test'

function error(status, code, message, fields) {
  return { status, body: { error: { code, message, fields: fields || {} } } }
}

const CATEGORIES = [
  {
    id: 1, code: 'GG', name: '公共设施', name_en: 'Public facilities',
    children: [
      { id: 11, code: 'GG01', name: '楼道灯损坏', name_en: 'Stairwell light broken', is_private: false },
      { id: 12, code: 'GG02', name: '井盖缺失', name_en: 'Missing manhole cover', is_private: false },
    ],
  },
  {
    id: 2, code: 'HJ', name: '环境', name_en: 'Environment',
    children: [{ id: 21, code: 'HJ01', name: '垃圾堆放', name_en: 'Rubbish piled up', is_private: false }],
  },
]

function iso(msAgo = 0) {
  return new Date(Date.now() - msAgo).toISOString()
}

class FakeApi {
  constructor() {
    this.origin = ORIGIN
    this.log = []
    this.tokens = new Set()
    this.tokenCount = 0
    this.uploadCount = 0
    this.nextId = 100
    this.user = { id: 7, role: 'resident', display_name: '王阿姨', username: null, scope: null, cells: [] }
    this.tickets = {} // id → ticket (resident or task view)
    this.created = [] // bodies of tickets/patrol reports actually created
    this.idempotent = {} // key → stored answer
    this.followed = []
    this.nearbyItems = []
    this.notifications = []
    this.tasks = []
    this.subscriptions = []
    this.routes = []
    // 办事预约
    this.serviceItems = [{
      id: 31, code: 'SB01', name: '城乡居民基本养老保险参保登记', name_en: 'Pension insurance registration',
      department: '武侯区社保局', materials: ['居民身份证原件', '户口簿'], notes: '', duration_minutes: 30, bookable_online: true,
    }]
    // the service points (服务中心, 连心驿站, 居民之家) as GET /service-centres lists them
    this.centres = [{
      id: 5, name: '晋阳社区党群服务中心', address: '晋阳路 88 号', phone: '028-85000100', place: { id: 1, code: '003', name: '晋阳社区' }, closed_on_holidays: true,
      kind: 'centre', kind_text: '服务中心', place_id: 1, lat: 30.6312, lng: 104.0386, sort_order: 0, is_main: true,
      today: { date: '2027-01-06', is_open: true, closed_reason: null, note: null, hours: [{ start: '09:00', end: '12:00', kind: 'regular' }, { start: '13:30', end: '18:00', kind: 'regular' }, { start: '18:00', end: '20:00', kind: 'extended' }] },
      distance_m: null,
    }]
    this.slotDaysByCentre = {} // a point's own days; otherwise slotDays
    this.cancellableFrom = '2027-01-01T11:00:00+08:00' // now + the 2-hour cut-off
    this.slotDays = [
      { date: '2027-01-01', weekday: 4, open: false, closed_reason: 'holiday', closed_label: '元旦', day_kind: 'holiday', note: '元旦', slots: [] },
      {
        date: '2027-01-06', weekday: 2, open: true, closed_reason: null, closed_label: null, day_kind: 'workday', note: null,
        slots: [
          { start: '2027-01-06T17:30:00+08:00', end: '2027-01-06T18:00:00+08:00', kind: 'regular', capacity: 3, free: 0 },
          { start: '2027-01-06T18:30:00+08:00', end: '2027-01-06T19:00:00+08:00', kind: 'extended', capacity: 2, free: 1 },
          { start: '2027-01-06T19:00:00+08:00', end: '2027-01-06T19:30:00+08:00', kind: 'extended', capacity: 2, free: 2 },
        ],
      },
    ]
    this.bookings = {}
    this.bookingStatus = { active: 0, max_active: 2, paused: false, paused_until: null, pause_reason: null, recent_no_shows: 0, no_show_limit: 3, no_show_window_days: 90 }
    this.faults = [] // {match(req), fail, afterHandling}
    // 我的资料 and 社区三率
    this.consent = { version: '2026-12-1', title: '手机号使用说明', text: '您提供的手机号仅用于处理您上报或关注的事件。您可以随时删除。' }
    this.phoneCodes = {} // code the getPhoneNumber button gave → the number
    this.communities = [
      { place_id: 3, code: '510107021003', name: '晋阳社区', street_name: '晋阳街道', reported: 4,
        response_rate: { numerator: 2, denominator: 3, rate: 0.6667 },
        resolution_rate: { numerator: 1, denominator: 2, rate: 0.5 },
        satisfaction_rate: { numerator: 2, denominator: 2, rate: 1 },
        overdue: { total: 2, open_now: 1, resolved_late: 1 } },
      { place_id: 4, code: '510107021004', name: '金雁社区', street_name: '晋阳街道', reported: 0,
        response_rate: { numerator: 0, denominator: 0, rate: null },
        resolution_rate: { numerator: 0, denominator: 0, rate: null },
        satisfaction_rate: { numerator: 0, denominator: 0, rate: null },
        overdue: { total: 0, open_now: 0, resolved_late: 0 } },
    ]
  }

  // Answer `fail` (e.g. 'timeout') to the next request matching; afterHandling: the server did
  // the work but the answer was lost on the way back.
  failNext(match, fail = 'timeout', afterHandling = false) {
    this.faults.push({ match, fail, afterHandling })
  }

  route(method, pattern, fn) {
    this.routes.unshift({ method, pattern, fn })
  }

  requests(method, path) {
    return this.log.filter((r) => r.method === method && (path instanceof RegExp ? path.test(r.path) : r.path === path))
  }

  performance(days) {
    const communities = days === 90
      ? this.communities.map((c) => Object.assign({}, c, { response_rate: { numerator: 3, denominator: 4, rate: 0.75 } }))
      : this.communities
    return { period: { from: days === 90 ? '2026-09-08' : '2026-11-07', to: '2026-12-06', days, timezone: 'Asia/Shanghai' }, communities }
  }

  issueToken(user) {
    this.tokenCount += 1
    const token = `tok-${this.tokenCount}`
    this.tokens.add(token)
    return { token, token_type: 'Bearer', expires_at: new Date(Date.now() + 30 * 86400000).toISOString(), user }
  }

  revokeAll() {
    this.tokens.clear()
  }

  handler() {
    return (entry) => this.handle(entry)
  }

  handle(entry) {
    const url = new URL(entry.url)
    const path = url.pathname.replace(/^\/api\/v1/, '')
    const query = Object.fromEntries(url.searchParams.entries())
    let body = entry.data
    if (typeof body === 'string') {
      try { body = JSON.parse(body) } catch (e) { /* keep */ }
    }
    const header = {}
    Object.keys(entry.header || {}).forEach((k) => { header[k.toLowerCase()] = entry.header[k] })
    const req = { kind: entry.kind, method: entry.method, path, query, body, header, formData: entry.formData, filePath: entry.filePath, name: entry.name }
    this.log.push(req)

    const faultIndex = this.faults.findIndex((f) => f.match(req))
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : null
    if (fault && !fault.afterHandling) return { fail: fault.fail }
    const answer = this.answer(req)
    if (fault) return { fail: fault.fail }
    return answer
  }

  answer(req) {
    const open = ['/auth/wechat', '/auth/dev-login', '/me/phone/consent']
    if (open.indexOf(req.path) < 0 && !req.path.startsWith('/public/')) {
      const auth = req.header.authorization || ''
      const token = auth.replace(/^Bearer /, '')
      if (!this.tokens.has(token)) return error(401, 'token_expired', '登录已过期，请重新登录。')
    }
    const route = this.routes.find((r) => r.method === req.method &&
      (r.pattern instanceof RegExp ? r.pattern.test(req.path) : r.pattern === req.path))
    if (route) return route.fn(req, (route.pattern instanceof RegExp ? req.path.match(route.pattern) : []))
    const key = `${req.method} ${req.path}`
    const m = (re) => req.path.match(re)
    if (key === 'POST /auth/wechat') {
      if (!req.body || !req.body.code) return error(422, 'validation_error', '输入有误', { code: ['必填'] })
      return { status: 200, body: this.issueToken(this.user) }
    }
    if (key === 'POST /auth/bind') {
      if (req.body.binding_code !== 'K7Q4M2') return error(403, 'binding_code_invalid', '绑定码无效或已过期。')
      this.tokens.delete(req.header.authorization.replace(/^Bearer /, ''))
      this.user = Object.assign({}, this.user, { id: 8, role: 'grid_worker', display_name: '李师傅', cells: [{ id: 3, code: '01', name: 'A 三级网格 1', level: 'L3' }] })
      return { status: 200, body: this.issueToken(this.user) }
    }
    if (key === 'GET /me') return { status: 200, body: this.user }
    const profile = this.profileRoute(req, key)
    if (profile) return profile
    if (key === 'GET /categories') return { status: 200, body: CATEGORIES }
    if (key === 'GET /notifications/templates') return { status: 200, body: { templates: { ticket: 'tmpl-ticket', task: 'tmpl-task', booking: 'tmpl-booking' } } }
    if (key === 'POST /me/subscriptions') {
      this.subscriptions.push(req.body.results)
      return { status: 200, body: Object.keys(req.body.results).map((id) => ({ template_id: id, remaining: 1 })) }
    }
    if (key === 'GET /me/notifications') {
      return { status: 200, body: { items: this.notifications, next_cursor: null, total: null, unread_count: this.notifications.filter((n) => !n.read).length } }
    }
    if (m(/^\/me\/notifications\/(\d+)\/read$/) && req.method === 'POST') {
      const n = this.notifications.find((x) => x.id === Number(m(/(\d+)/)[1]))
      if (n) n.read = true
      return { status: 200, body: n }
    }
    if (key === 'POST /me/notifications/read-all') {
      this.notifications.forEach((n) => { n.read = true })
      return { status: 200, body: { marked: this.notifications.length, unread_count: 0 } }
    }
    if (key === 'POST /uploads') {
      if (req.kind !== 'upload' || req.name !== 'file') return error(422, 'validation_error', '请上传照片', { file: ['必填'] })
      this.uploadCount += 1
      const id = 500 + this.uploadCount
      return { status: 201, body: { id, width: 1600, height: 1200, url: `/media/${id}/display?exp=1&sig=x`, thumb_url: `/media/${id}/thumb?exp=1&sig=x`, expires_at: iso(-3600000) } }
    }
    if (key === 'GET /tickets/nearby') return { status: 200, body: this.nearbyItems }
    if (key === 'GET /me/tickets') {
      const relation = req.query.relation || 'reported'
      const items = Object.values(this.tickets).filter((t) => (relation === 'reported' ? t.mine : this.followed.indexOf(t.id) >= 0))
      return { status: 200, body: { items, next_cursor: null, total: null } }
    }
    if (key === 'POST /tickets') return this.idempotently(req, () => this.createTicket(req.body, 'submitted'))
    if (key === 'POST /worker/patrol-reports') return this.idempotently(req, () => this.createTicket(req.body, 'accepted'))
    let hit = m(/^\/tickets\/(\d+)(\/[a-z-]+)?$/)
    if (hit) {
      const id = Number(hit[1])
      const action = hit[2] || ''
      const ticket = this.tickets[id]
      if (!ticket && action !== '/follow') return error(404, 'not_found', '事件不存在。')
      if (req.method === 'GET' && !action) return { status: 200, body: ticket }
      if (action === '/follow') {
        this.followed.push(id)
        return { status: 200, body: { id, state: 'dispatched', follower_count: 2 } }
      }
      if (action === '/rating') {
        if (!ticket.can_rate) return error(409, 'transition_refused', '当前状态不能评价。')
        Object.assign(ticket, { rating: req.body.rating, can_rate: false, state: req.body.rating === 'unsatisfied' ? 'accepted' : 'closed', version: ticket.version + 1 })
        return { status: 200, body: ticket }
      }
      if (action === '/start') return this.move(ticket, 'in_progress')
      if (action === '/check-in') {
        this.move(ticket, 'in_progress')
        return { status: 200, body: { distance_m: 30.2, state: ticket.state, version: ticket.version } }
      }
      if (action === '/resolve') {
        return this.idempotently(req, () => {
          if (!req.body.note) return error(422, 'validation_error', '输入有误', { note: ['请填写处置说明'] })
          ticket.photos = (ticket.photos || []).concat((req.body.photo_ids || []).map((pid) => ({ id: pid, phase: 'after', url: `/media/${pid}/display`, thumb_url: `/media/${pid}/thumb` })))
          return this.move(ticket, 'resolved')
        })
      }
      if (action === '/hand-back') return this.move(ticket, 'accepted')
      if (action === '/supplements') return this.idempotently(req, () => ({ status: 201, body: ticket }))
    }
    const booking = this.bookingRoute(req, key)
    if (booking) return booking
    if (key === 'GET /worker/tasks') return { status: 200, body: { items: this.tasks, next_cursor: null, total: this.tasks.length } }
    return error(404, 'not_found', `no route ${key}`)
  }

  // 我的资料 and 社区三率, as the real API answers them (accounts/profile.py,
  // tickets/performance_api.py): phone codes the fake "WeChat" issued are single-use.
  profileRoute(req, key) {
    const resident = this.user.role === 'resident'
    if (key === 'GET /me/phone/consent') return { status: 200, body: this.consent }
    if (key === 'GET /public/communities/performance') {
      const days = Number(req.query.days || 30)
      if ([30, 90].indexOf(days) < 0) return error(422, 'validation_error', '输入有误', { days: ['必须是 30 或 90'] })
      return { status: 200, body: this.performance(days) }
    }
    if (key === 'PUT /me/language') {
      const language = req.body && req.body.language
      if ([null, 'zh', 'en'].indexOf(language) < 0) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { language: ['必须是以下之一：zh, en。'] })
      this.user = Object.assign({}, this.user, { language })
      return { status: 200, body: this.user }
    }
    if (key === 'PATCH /me/profile') {
      if (!resident) return error(403, 'forbidden', '您没有权限执行此操作。')
      const name = String(req.body.display_name || '').trim()
      if (!name || name.length > 20) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { display_name: ['昵称为 1 至 20 个字。'] })
      this.user = Object.assign({}, this.user, { display_name: name })
      return { status: 200, body: this.user }
    }
    if (key === 'POST /me/phone') {
      if (!resident) return error(403, 'forbidden', '您没有权限执行此操作。')
      const body = req.body || {}
      if (body.consent !== true) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { consent: ['请先阅读并同意手机号使用说明。'] })
      if (body.consent_version !== this.consent.version) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { consent_version: ['手机号使用说明已更新，请重新阅读后再同意。'] })
      let phone = body.phone
      let source = 'typed'
      if (body.code) {
        phone = this.phoneCodes[body.code]
        delete this.phoneCodes[body.code]
        if (!phone) return error(422, 'validation_error', '提交的内容有误，请检查后重试。', { code: ['微信手机号授权已失效，请重新点击“微信手机号快捷填写”。'] })
        source = 'wechat'
      }
      this.user = Object.assign({}, this.user, { phone, phone_source: source, phone_consent_at: iso() })
      return { status: 200, body: this.user }
    }
    if (key === 'DELETE /me/phone') {
      if (!resident) return error(403, 'forbidden', '您没有权限执行此操作。')
      this.user = Object.assign({}, this.user, { phone: null, phone_source: null, phone_consent_at: null })
      return { status: 204, body: '' }
    }
    return null
  }

  issuePhoneCode(phone) {
    const code = `phone-${Object.keys(this.phoneCodes).length + 1}`
    this.phoneCodes[code] = phone
    return code
  }

  bookingRoute(req, key) {
    if (key === 'GET /service-items') return { status: 200, body: this.serviceItems }
    let m = req.path.match(/^\/service-items\/(\d+)$/)
    if (m) return { status: 200, body: this.serviceItems.find((i) => i.id === Number(m[1])) }
    if (key === 'GET /service-centres') return { status: 200, body: this.pointsNear(req.query) }
    m = req.path.match(/^\/service-centres\/(\d+)\/slots$/)
    if (m) return { status: 200, body: { centre_id: Number(m[1]), item: this.serviceItems[0], from: '2027-01-01', to: '2027-01-14', earliest: '2027-01-01T09:00:00+08:00', last_day: '2027-01-14', cancellable_from: this.cancellableFrom, days: this.daysOf(Number(m[1])) } }
    if (key === 'GET /me/booking-status') return { status: 200, body: this.bookingStatus }
    if (key === 'GET /me/bookings') {
      const items = Object.values(this.bookings).filter((b) => (req.query.scope === 'past') === (b.status !== 'booked'))
      return { status: 200, body: { items, next_cursor: null, total: null } }
    }
    if (key === 'POST /bookings') {
      return this.idempotently(req, () => {
        const pointId = req.body.point_id || req.body.centre_id
        const point = this.centres.find((c) => c.id === pointId)
        if (!point) return error(404, 'not_found', '找不到该服务中心。')
        const slot = this.findSlot(req.body.start_at, point.id)
        if (!slot || slot.free <= 0) return error(409, 'slot_full', '这个时间已约满，请选择其他时间。', { start_at: ['这个时间已约满，请选择其他时间。'] })
        slot.free -= 1
        this.nextId += 1
        const b = this.bookingFor(this.nextId, slot, point)
        this.bookings[b.id] = b
        this.bookingStatus.active += 1
        return { status: 201, body: b }
      })
    }
    m = req.path.match(/^\/bookings\/(\d+)(\/[a-z]+)?$/)
    if (m) {
      const b = this.bookings[Number(m[1])]
      if (!b) return error(404, 'not_found', '预约不存在。')
      if (!m[2]) return { status: 200, body: b }
      if (m[2] === '/cancel') {
        Object.assign(b, { status: 'cancelled', status_text: '已取消', can_cancel: false, cancelled_at: iso(), cancel_reason: req.body.reason || '' })
        return { status: 200, body: b }
      }
      if (m[2] === '/reschedule') {
        const slot = this.findSlot(req.body.start_at, b.centre.id)
        if (!slot || slot.free <= 0) return error(409, 'slot_full', '这个时间已约满，请选择其他时间。')
        slot.free -= 1
        Object.assign(b, { start_at: slot.start, end_at: slot.end, slot_kind: slot.kind, reschedule_count: b.reschedule_count + 1 })
        return { status: 200, body: b }
      }
    }
    return null
  }

  daysOf(centreId) {
    return this.slotDaysByCentre[centreId] || this.slotDays
  }

  // Active points, nearest first when the query gives a location (those without one last)
  pointsNear(query) {
    const lat = Number(query.lat)
    const lng = Number(query.lng)
    const located = query.lat !== undefined && query.lng !== undefined
    const rows = this.centres.map((c) => Object.assign({}, c, {
      distance_m: located && c.lat !== null ? Math.round(Math.hypot((c.lat - lat) * 111000, (c.lng - lng) * 96000)) : null,
    }))
    if (located) rows.sort((a, b) => (a.distance_m === null) - (b.distance_m === null) || a.distance_m - b.distance_m)
    return rows
  }

  findSlot(start, centreId) {
    for (const day of (centreId ? this.daysOf(centreId) : this.slotDays)) {
      const slot = day.slots.find((s) => s.start === start)
      if (slot) return slot
    }
    return null
  }

  bookingFor(id, slot, point) {
    const c = point || this.centres[0]
    return {
      id, code: '7Q4K', status: 'booked', status_text: '已预约', item: this.serviceItems[0],
      centre: { id: c.id, name: c.name, address: c.address, phone: c.phone },
      start_at: slot.start, end_at: slot.end, slot_kind: slot.kind, source: 'online',
      can_cancel: true, cancel_until: '2027-01-06T16:30:00+08:00', cancelled_at: null, cancel_reason: '',
      checked_in_at: null, completed_at: null, reschedule_count: 0, created_at: iso(),
    }
  }

  idempotently(req, run) {
    const key = req.header['idempotency-key']
    if (key && this.idempotent[key]) {
      const first = this.idempotent[key]
      if (JSON.stringify(first.body) !== JSON.stringify(req.body)) {
        return error(422, 'validation_error', '该 Idempotency-Key 已用于另一个不同的请求', { 'Idempotency-Key': ['reused'] })
      }
      return first.answer
    }
    const answer = run()
    if (key && answer.status < 400) this.idempotent[key] = { body: req.body, answer }
    return answer
  }

  createTicket(body, state) {
    this.nextId += 1
    const id = this.nextId
    this.created.push(body)
    const ticket = {
      id, version: 1, mine: state === 'submitted', state, description: body.description,
      category: { id: body.category_id, code: 'GG01', name: '楼道灯损坏', parent_name: '公共设施' },
      lat: body.lat, lng: body.lng, address: body.address, building: body.building || '', unit: body.unit || '',
      place: { id: 3, code: '01', name: 'A 三级网格 1', level: 'L3' }, is_private: false, follower_count: 0,
      handler: null, due_at: iso(-86400000), created_at: iso(), updated_at: iso(), rating: null, rating_comment: null,
      can_rate: false,
      photos: (body.photo_ids || []).map((pid) => ({ id: pid, phase: 'report', url: `/media/${pid}/display`, thumb_url: `/media/${pid}/thumb` })),
      events: [{ id: 1, kind: 'transition', from_state: null, to_state: state, actor_role: 'resident', note: '', created_at: iso(), photos: [] }],
      actions: state === 'accepted' ? ['hand_back'] : [],
    }
    this.tickets[id] = ticket
    return { status: 201, body: ticket }
  }

  move(ticket, state) {
    Object.assign(ticket, { state, version: ticket.version + 1 })
    ticket.events = ticket.events.concat([{ id: ticket.events.length + 1, kind: 'transition', from_state: null, to_state: state, actor_role: 'assignee', note: '', created_at: iso(), photos: [] }])
    return { status: 200, body: ticket }
  }

  // A task as GET /worker/tasks lists it, also readable as the assigned worker's detail.
  addTask(fields = {}) {
    this.nextId += 1
    const id = this.nextId
    const task = Object.assign({
      id, version: 3, state: 'dispatched', source: 'resident', description: '5栋2单元3楼楼道灯不亮',
      category: { id: 11, code: 'GG01', name: '楼道灯损坏', parent_name: '公共设施' },
      address: '晋阳路 5 号', building: '5栋', unit: '2单元', lat: 30.61, lng: 104.005,
      place: { id: 3, code: '01', name: 'A 三级网格 1', level: 'L3' }, needs_triage: false, is_private: false,
      assignee: { id: 8, display_name: '李师傅', phone: null }, department_name: null,
      accept_due_at: null, resolve_due_at: iso(-86400000), due_at: iso(-86400000), overdue: false,
      follower_count: 0, created_at: iso(3600000), updated_at: iso(), reporter: { id: 7, display_name: '王阿姨', phone: '13900000201' },
      distance_m: null, photos: [], events: [], actions: ['start', 'resolve', 'hand_back'],
    }, fields)
    this.tasks.push(task)
    this.tickets[id] = task
    return task
  }

  // A ticket of mine, as the reporter sees it.
  addTicket(fields = {}) {
    const answer = this.createTicket({ category_id: 11, description: '楼道灯不亮', lat: 30.61, lng: 104.005, address: '', photo_ids: [] }, 'submitted')
    this.created.pop()
    return Object.assign(answer.body, fields)
  }
}

module.exports = { FakeApi, CATEGORIES, ORIGIN, iso }
