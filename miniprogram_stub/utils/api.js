// The Linli API as the mini-program uses it: WeChat login, Bearer token, one new login on
// 401, Accept-Language from the language switch, Idempotency-Key on creating POSTs.
const http = require('./http')
const i18n = require('./i18n')
const session = require('./session')
const settings = require('./settings')
const wxp = require('./wxp')
const { ApiError } = require('./errors')

let loggingIn = null

function baseHeader(extra) {
  return Object.assign({
    'Accept-Language': i18n.acceptLanguage(),
    'Content-Type': 'application/json',
  }, extra)
}

// A request without the token (the logins themselves).
async function anonymous(method, path, data) {
  const res = await http.send({
    method,
    url: settings.apiUrl(path),
    data,
    header: baseHeader(),
    timeout: settings.get().requestTimeout,
  })
  if (res.statusCode >= 400) throw new ApiError(res.statusCode, res.data)
  return res.data
}

async function doLogin() {
  const cfg = settings.get()
  let answer
  if (cfg.devLoginOpenid) {
    answer = await anonymous('POST', '/auth/dev-login', { openid: cfg.devLoginOpenid })
  } else {
    const { code } = await wxp.call('login', {})
    answer = await anonymous('POST', '/auth/wechat', { code })
  }
  session.save(answer)
  adoptLanguage(answer.user)
  return answer
}

// wx.login → POST /auth/wechat → the token in storage. Pages that start together share
// one login instead of spending one wx.login code each.
function login() {
  if (!loggingIn) {
    loggingIn = doLogin().then(
      (answer) => { loggingIn = null; return answer },
      (err) => { loggingIn = null; throw err },
    )
  }
  return loggingIn
}

async function currentToken() {
  return session.token() || (await login()).token
}

// Send once; on 401 (token expired or revoked) log in again and send once more, with the
// same Idempotency-Key so a replayed creation is recognised.
async function request(method, path, options = {}) {
  const { data, query, idempotencyKey, ifMatch } = options
  let token = await currentToken()
  for (let attempt = 0; ; attempt += 1) {
    const extra = { Authorization: `Bearer ${token}` }
    if (idempotencyKey) extra['Idempotency-Key'] = idempotencyKey
    if (ifMatch !== undefined && ifMatch !== null) extra['If-Match'] = `"${ifMatch}"`
    const res = await http.send({
      method,
      url: settings.apiUrl(path) + http.query(query),
      data,
      header: baseHeader(extra),
      timeout: settings.get().requestTimeout,
    })
    if (res.statusCode === 401 && attempt === 0) {
      session.clear()
      token = (await login()).token
      continue
    }
    if (res.statusCode >= 400) throw new ApiError(res.statusCode, res.data)
    return res.data
  }
}

const get = (path, query) => request('GET', path, { query })
const post = (path, data, options) => request('POST', path, Object.assign({}, options, { data: data || {} }))
const del = (path) => request('DELETE', path)
const patch = (path, data) => request('PATCH', path, { data: data || {} })

// --- lists --------------------------------------------------------------------------------
// Every list that grows answers one page: {items, next_cursor, total}, asked for with
// ?limit= (1–200) and ?cursor= (the next_cursor of the page before; null on the last page).
// `total` is counted on the first page of some lists and null otherwise.
const LIMIT_MAX = 200

// Every item of a list, following next_cursor (at most `pages` requests of 200): for the
// pickers and summaries that need the whole list.
async function listAll(path, query = {}, pages = 20) {
  let items = []
  let cursor
  for (let i = 0; i < pages; i += 1) {
    const page = await get(path, Object.assign({ limit: LIMIT_MAX }, query, { cursor }))
    items = items.concat(page.items)
    cursor = page.next_cursor
    if (!cursor) break
  }
  return items
}

// --- who am I ---------------------------------------------------------------------------

async function me() {
  const user = await get('/me')
  session.setUser(user)
  adoptLanguage(user)
  return user
}

// The language I read is kept on the server too (PUT /me/language): content comes in it
// where staff wrote English, and notifications to me are written in it. A language chosen
// on another device (the server's) wins over this phone's.
function adoptLanguage(user) {
  const lang = user && user.language
  if (lang && i18n.LANGS.indexOf(lang) >= 0 && lang !== i18n.getLang()) i18n.setLang(lang)
}

async function setLanguage(language) {
  const user = await request('PUT', '/me/language', { data: { language } })
  session.setUser(user)
  return user
}

// A grid worker types the code staff gave them; the answer is a new token for the worker
// account (the resident token used for the call is revoked).
async function bind(bindingCode) {
  const answer = await post('/auth/bind', { binding_code: String(bindingCode).trim() })
  session.save(answer)
  return answer
}

// --- residents ----------------------------------------------------------------------------

let categoryCache = null

async function categories(refresh = false) {
  if (!categoryCache || refresh) categoryCache = await get('/categories')
  return categoryCache
}

const nearby = ({ category, lat, lng }) => get('/tickets/nearby', { category, lat, lng })
const follow = (id) => post(`/tickets/${id}/follow`)
const unfollow = (id) => del(`/tickets/${id}/follow`)
const myTickets = ({ relation = 'reported', cursor, limit } = {}) =>
  get('/me/tickets', { relation, cursor, limit })
const ticket = (id) => get(`/tickets/${id}`)
const rate = (id, { rating, comment = '', version }) => {
  const body = { rating, comment }
  if (version) body.version = version
  return post(`/tickets/${id}/rating`, body)
}

// --- notifications ------------------------------------------------------------------------

const notifications = ({ cursor, unread, limit } = {}) =>
  get('/me/notifications', { cursor, unread, limit })
const markRead = (id) => post(`/me/notifications/${id}/read`)
const readAll = () => post('/me/notifications/read-all')
const templates = () => get('/notifications/templates')
const reportSubscriptions = (results) => post('/me/subscriptions', { results })

// --- grid workers -------------------------------------------------------------------------

const tasks = ({ lat, lng, limit } = {}) => get('/worker/tasks', { lat, lng, limit })
const withVersion = (body, version) => (version ? Object.assign(body, { version }) : body)
const start = (id, version) => post(`/tickets/${id}/start`, withVersion({}, version))
const checkIn = (id, { lat, lng }) => post(`/tickets/${id}/check-in`, { lat, lng })
const handBack = (id, { reason, version }) =>
  post(`/tickets/${id}/hand-back`, withVersion({ reason }, version))

// --- services (办事预约) ----------------------------------------------------------------------

const serviceItems = () => get('/service-items')
const serviceItem = (id) => get(`/service-items/${id}`)
// The service points handling an item, with today's hours; nearest first given a location
const centres = (itemId, { lat, lng } = {}) => get('/service-centres', { item_id: itemId, lat, lng })
const slots = (centreId, itemId, { from, to } = {}) =>
  get(`/service-centres/${centreId}/slots`, { item: itemId, from, to })
// A booking needs an answer at once (the slot may go), so it is not queued offline; the
// page keeps one key per chosen slot, so a retry after a timeout books it once.
const book = ({ centreId, itemId, startAt }, idempotencyKey) =>
  post('/bookings', { point_id: centreId, item_id: itemId, start_at: startAt }, { idempotencyKey })
const myBookings = ({ scope = 'upcoming', cursor, limit } = {}) => get('/me/bookings', { scope, cursor, limit })
const bookingStatus = () => get('/me/booking-status')
const booking = (id) => get(`/bookings/${id}`)
const cancelBooking = (id, reason = '') => post(`/bookings/${id}/cancel`, { reason })
const reschedule = (id, startAt) => post(`/bookings/${id}/reschedule`, { start_at: startAt })

// --- volunteers (志愿服务) -------------------------------------------------------------------

const volunteerTeams = ({ placeId, cursor } = {}) => get('/volunteer-teams', { place_id: placeId, cursor })
const volunteerTeam = (id) => get(`/volunteer-teams/${id}`)
const joinTeam = (id) => post(`/volunteer-teams/${id}/join`)
const leaveTeam = (id) => post(`/volunteer-teams/${id}/leave`)
const myVolunteerTeams = () => get('/me/volunteer-teams') // a short list: a plain array
// My profile, or null when I have none yet (the API answers 404 profile_required).
const volunteerProfile = () => get('/me/volunteer-profile').catch((err) => {
  if (err instanceof ApiError && err.status === 404) return null
  throw err
})
const saveVolunteerProfile = (body) => request('PUT', '/me/volunteer-profile', { data: body })
const volunteerActivities = ({ teamId, placeId, cursor } = {}) =>
  get('/volunteer-activities', { team_id: teamId, place_id: placeId, cursor })
const volunteerActivity = (id) => get(`/volunteer-activities/${id}`)
// A place if one is free, otherwise the waitlist ({status, waitlist_position}); the page keeps
// one key per activity, so a retry after a timeout signs up once.
const signUp = (id, idempotencyKey) => post(`/volunteer-activities/${id}/signup`, {}, { idempotencyKey })
const withdrawSignup = (id) => post(`/volunteer-activities/${id}/withdraw`)
const activityCheckIn = (id, code) => post(`/volunteer-activities/${id}/check-in`, { code })
const activityCheckOut = (id, code) => post(`/volunteer-activities/${id}/check-out`, { code })
const myServiceRecords = () => listAll('/me/service-records')
const volunteerSummary = () => get('/me/volunteer-summary')
// The printable record of service: an HTML page that needs the Bearer token, so it is
// fetched here and shown in-app (a web-view could not send the header).
const volunteerRecordHtml = () => get('/me/volunteer-record.html')

// --- residents' participation (居民参与) --------------------------------------------------

// The pickers need every community and yard; the other pages show the first page of 100.
const PAGE = { limit: 100 }
const communities = () => listAll('/places', { level: 'community' })
// the yards (院落, level-3 grid cells) of a community, for the home declaration
const yards = (community) => listAll('/places', { level: 'grid3', code_prefix: community.code })
const myResidencies = () => get('/me/residencies')
// Creating POSTs carry the page's Idempotency-Key, kept until the server answers.
const declareResidency = (body, idempotencyKey) => post('/me/residencies', body, { idempotencyKey })
// moved out: the home no longer gives a say there
const endResidency = (id) => post(`/residencies/${id}/end`, { reason: '' })
// the board of my communities; `area` one of 三公开's affairs / finance / party, or all
const myNotices = (area) => get('/me/notices', area ? Object.assign({ area }, PAGE) : PAGE)
const communityNotice = (id) => get(`/notices/${id}`)
const readNotice = (id) => post(`/notices/${id}/read`)
const myObjections = (noticeId) => get(`/notices/${noticeId}/objections`)
const objectToNotice = (noticeId, body, idempotencyKey) =>
  post(`/notices/${noticeId}/objections`, { body }, { idempotencyKey })
const proposals = ({ communityId, sort = 'new', mine } = {}) =>
  get('/proposals', Object.assign({ community_id: communityId, sort, mine: mine ? 'true' : undefined }, PAGE))
const proposal = (id) => get(`/proposals/${id}`)
const supportProposal = (id) => post(`/proposals/${id}/support`)
const propose = (body, idempotencyKey) => post('/proposals', body, { idempotencyKey })
const communityFunds = (communityId) => get(`/communities/${communityId}/funds`)
const fundLedger = (fundId) => get(`/funds/${fundId}/ledger`)
const voteRounds = (fundId) => get(`/funds/${fundId}/vote-rounds`)
const voteRound = (id) => get(`/vote-rounds/${id}`)
const castBallot = (roundId, optionIds, idempotencyKey) =>
  post(`/vote-rounds/${roundId}/ballots`, { option_ids: optionIds }, { idempotencyKey })
const councilMembers = (communityId) => get(`/communities/${communityId}/council-members`)
const meetings = (communityId) => get(`/communities/${communityId}/meetings`, PAGE)
const meeting = (id) => get(`/meetings/${id}`)
const fundProject = (lineId) => get(`/budget-lines/${lineId}`)
// 社会组织 (issue 21): who serves my community, which organisation runs which service, micro-funds
const communityOrganisations = (communityId) => get(`/communities/${communityId}/organisations`)
const communityServiceProjects = (communityId) => get(`/communities/${communityId}/service-projects`)
const organisation = (id) => get(`/organisations/${id}`)
const microFunds = (fundId) => get(`/funds/${fundId}/micro-funds`)
const microFund = (id) => get(`/micro-funds/${id}`)
// 院落自治: my yards (committee, conventions), a convention's history, signing for my household
const myYards = () => get('/me/yards')
// the 居民公约 of my communities (also when my home names no yard)
const myConventions = () => get('/me/conventions')
const convention = (id) => get(`/conventions/${id}`)
const signConvention = (versionId) => post(`/convention-versions/${versionId}/sign`)
const yardMeetings = (yardId) => get(`/yards/${yardId}/meetings`, PAGE)

function resetCaches() {
  categoryCache = null
}

// --- my profile: display name and a phone to be called back on (residents) --------------

const updateProfile = async (displayName) => {
  const user = await patch('/me/profile', { display_name: displayName })
  session.setUser(user)
  return user
}
// the consent text and its version: public, the same words the server keeps
const phoneConsent = () => anonymous('GET', '/me/phone/consent')
// WeChat's getPhoneNumber button (its `code`) or a typed number; both with consent
const savePhone = async ({ code, phone, consentVersion }) => {
  const body = { consent: true, consent_version: consentVersion }
  if (code) body.code = code
  else body.phone = phone
  const user = await post('/me/phone', body)
  session.setUser(user)
  return user
}
const deletePhone = () => del('/me/phone')

// --- 社区三率: public, no login -----------------------------------------------------------
const communityPerformance = (days) =>
  anonymous('GET', '/public/communities/performance' + http.query({ days }))

module.exports = {
  login, request, get, post, del, patch, me, bind,
  setLanguage,
  updateProfile, phoneConsent, savePhone, deletePhone, communityPerformance,
  categories, nearby, follow, unfollow, myTickets, ticket, rate,
  notifications, markRead, readAll, templates, reportSubscriptions,
  tasks, start, checkIn, handBack,
  serviceItems, serviceItem, centres, slots, book, myBookings, bookingStatus, booking,
  cancelBooking, reschedule,
  listAll,
  volunteerTeams, volunteerTeam, joinTeam, leaveTeam, myVolunteerTeams, volunteerProfile,
  saveVolunteerProfile, volunteerActivities, volunteerActivity, signUp, withdrawSignup,
  activityCheckIn, activityCheckOut, myServiceRecords, volunteerSummary, volunteerRecordHtml,
  communities, yards, myResidencies, declareResidency, endResidency, myNotices, communityNotice, readNotice,
  myObjections, objectToNotice, proposals, proposal, supportProposal, propose, communityFunds,
  fundLedger, voteRounds, voteRound, castBallot, councilMembers, meetings, meeting, fundProject,
  communityOrganisations, communityServiceProjects, organisation, microFunds, microFund,
  myYards, myConventions, convention, signConvention, yardMeetings,
  resetCaches,
}
