// Subscribe-message consent. wx.requestSubscribeMessage works only inside a tap handler and
// for at most 3 templates, so the template ids are fetched beforehand (prefetch, when a page
// loads) and ask() calls WeChat synchronously, before any await of the tap handler.
const api = require('./api')
const storage = require('./storage')

const MAX = 3
let templates = null
let lastReport = Promise.resolve(null)

async function prefetch() {
  try {
    const answer = await api.templates()
    templates = (answer && answer.templates) || {}
    storage.set('templates', templates)
  } catch (e) {
    templates = templates || storage.get('templates', {})
  }
  return templates
}

function idsFor(keys) {
  const known = templates || storage.get('templates', {}) || {}
  const ids = []
  keys.forEach((k) => {
    const id = known[k]
    if (id && ids.indexOf(id) < 0) ids.push(id)
  })
  return ids.slice(0, MAX)
}

// keys: template keys from /notifications/templates, e.g. ['ticket'] or ['task'].
// Resolves with {tmplId: 'accept'|'reject'|'ban'|'filter'} (or null), never rejects: the
// answer is sent to /me/subscriptions in the background.
function ask(keys) {
  const ids = idsFor(keys)
  if (!ids.length || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve(null)
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (res) => {
        const results = {}
        ids.forEach((id) => {
          if (typeof res[id] === 'string') results[id] = res[id]
        })
        if (Object.keys(results).length) {
          lastReport = api.reportSubscriptions(results).catch(() => null)
        }
        resolve(results)
      },
      fail: () => resolve(null),
    })
  })
}

function reported() {
  return lastReport
}

function resetForTests() {
  templates = null
  lastReport = Promise.resolve(null)
}

module.exports = { prefetch, ask, idsFor, reported, resetForTests }
