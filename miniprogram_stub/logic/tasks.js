// A grid worker's task list: overdue marked, nearest first when the position is known.
const categories = require('./categories')
const format = require('../utils/format')
const i18n = require('../utils/i18n')

function row(task, now = Date.now()) {
  const due = task.due_at ? Date.parse(task.due_at) : null
  return {
    id: task.id,
    version: task.version,
    category: categories.nameOf(task.category),
    description: format.shorten(task.description, 50),
    address: [task.address, task.building, task.unit].filter(Boolean).join(' '),
    state: task.state,
    stateLabel: format.stateLabel(task.state),
    overdue: Boolean(task.overdue) || (due !== null && due < now),
    // 即将超期 (yellow: past 75 % of its time) or 已超期 (red), as the server says
    tier: task.tier || ((Boolean(task.overdue) || (due !== null && due < now)) ? 'red' : null),
    due: task.due_at ? format.time(task.due_at, now) : '',
    distance_m: task.distance_m === null || task.distance_m === undefined ? null : task.distance_m,
    distance: format.distance(task.distance_m),
    source: task.source,
  }
}

// 'nearest': by distance, unknown distances last; 'overdue': overdue first, then soonest due.
function order(rows, mode) {
  const out = rows.slice()
  const dueKey = (r) => (r.dueAt === undefined ? 0 : r.dueAt)
  if (mode === 'nearest') {
    out.sort((a, b) => {
      if (a.distance_m === null && b.distance_m === null) return 0
      if (a.distance_m === null) return 1
      if (b.distance_m === null) return -1
      return a.distance_m - b.distance_m
    })
  } else {
    out.sort((a, b) => (Number(b.overdue) - Number(a.overdue)) || (dueKey(a) - dueKey(b)))
  }
  return out
}

function rows(tasks, mode, now = Date.now()) {
  const list = (tasks || []).map((t) => Object.assign(row(t, now), {
    dueAt: t.due_at ? Date.parse(t.due_at) : Number.MAX_SAFE_INTEGER,
  }))
  return order(list, mode)
}

function summary(tasks) {
  const list = tasks || []
  return {
    total: list.length,
    overdue: list.filter((t) => t.overdue).length,
    dueSoon: list.filter((t) => t.tier === 'yellow').length,
    text: i18n.t('tasks_summary', { total: list.length, overdue: list.filter((t) => t.overdue).length }),
  }
}

// What the task page may offer, from the API's `actions` of this worker on this task.
function buttons(detail) {
  const actions = detail.actions || []
  return {
    start: actions.indexOf('start') >= 0,
    checkIn: ['dispatched', 'in_progress'].indexOf(detail.state) >= 0,
    resolve: actions.indexOf('resolve') >= 0,
    handBack: actions.indexOf('hand_back') >= 0,
  }
}

module.exports = { row, rows, order, summary, buttons }
