// A ticket's detail and timeline as the resident (or the grid worker) reads them.
const categories = require('./categories')
const format = require('../utils/format')
const i18n = require('../utils/i18n')

const RATINGS = ['satisfied', 'basically_satisfied', 'unsatisfied']

function eventTitle(event) {
  if (event.kind === 'transition' && event.to_state) return format.stateLabel(event.to_state)
  return i18n.t(`event_${event.kind}`)
}

// Oldest first, as it happened; follows are not shown (they are nobody else's business).
function timeline(events, now = Date.now()) {
  return (events || [])
    .filter((e) => e.kind !== 'follow')
    .map((e) => ({
      id: e.id,
      title: eventTitle(e),
      note: e.note || '',
      time: format.time(e.created_at, now),
      actor: e.actor_role ? i18n.t(`actor_${e.actor_role}`) : '',
      photos: format.photoUrls(e.photos),
    }))
}

function handlerText(handler) {
  if (!handler) return ''
  return handler.kind === 'department'
    ? i18n.t('handler_department', { name: handler.name })
    : i18n.t('handler_worker', { name: handler.name })
}

// The states in which the community still owes the work (resolved waits for the rating).
const OWED_STATES = ['submitted', 'accepted', 'dispatched', 'in_progress']

// Past its deadline with the work still owed: the reporter sees 已超期 (the API's due_at is
// the deadline that applies now, accepting or resolving; the server clears it on
// resolution, and a resolved or closed case is never shown late).
// The server says it (`overdue`, by its clock) in every answer that carries due_at; the
// phone's clock decides only for an answer without it.
function isOverdue(ticket, now = Date.now()) {
  if (!ticket) return false
  if (typeof ticket.overdue === 'boolean') {
    return ticket.overdue && OWED_STATES.indexOf(ticket.state) >= 0
  }
  if (!ticket.due_at || OWED_STATES.indexOf(ticket.state) < 0) return false
  const due = Date.parse(ticket.due_at)
  return !Number.isNaN(due) && due < now
}

function view(ticket, now = Date.now()) {
  const photos = format.photoUrls(ticket.photos)
  return {
    id: ticket.id,
    version: ticket.version || null,
    category: categories.nameOf(ticket.category),
    description: ticket.description || '',
    state: ticket.state,
    stateLabel: format.stateLabel(ticket.state),
    open: format.isOpen(ticket.state),
    address: [ticket.address, ticket.building, ticket.unit].filter(Boolean).join(' '),
    place: ticket.place ? ticket.place.name : (ticket.place_name || ''),
    handler: handlerText(ticket.handler),
    due: ticket.due_at ? format.time(ticket.due_at, now) : '',
    overdue: isOverdue(ticket, now),
    created: format.time(ticket.created_at, now),
    followers: ticket.follower_count || 0,
    photos: photos.filter((p) => p.phase !== 'after'),
    afterPhotos: photos.filter((p) => p.phase === 'after'),
    canRate: Boolean(ticket.can_rate),
    rating: format.ratingLabel(ticket.rating),
    ratingComment: ticket.rating_comment || '',
    // only the reporter's view (TicketResident) carries can_rate; followers get the public
    // view, with can_supplement when they follow it (补充线索)
    canSupplement: ticket.can_supplement === true ||
      (ticket.can_rate !== undefined && ['closed', 'rejected', 'merged'].indexOf(ticket.state) < 0),
    supplementTitle: ticket.can_rate === undefined && ticket.can_supplement === true
      ? i18n.t('supplement_follower_title') : i18n.t('supplement_title'),
    timeline: timeline(ticket.events, now),
  }
}

function ratingButtons() {
  return RATINGS.map((r) => ({ value: r, label: format.ratingLabel(r) }))
}

// A summary row of /me/tickets.
function row(item, now = Date.now()) {
  return {
    id: item.id,
    category: categories.nameOf(item.category),
    description: format.shorten(item.description, 50),
    state: item.state,
    stateLabel: format.stateLabel(item.state),
    time: format.time(item.created_at, now),
    due: item.due_at ? format.time(item.due_at, now) : '',
    overdue: isOverdue(item, now),
    followers: item.follower_count || 0,
  }
}

module.exports = { RATINGS, timeline, view, ratingButtons, row, handlerText, isOverdue }
