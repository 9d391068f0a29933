// The two-level categories (大类 › 小类) for the pickers, and names in the chosen language.
const i18n = require('../utils/i18n')

let byId = {}

// Remember the tree (from GET /categories) so that a ticket's category, which the API names
// only in Chinese, can be shown in English too.
function index(tree) {
  byId = {}
  ;(tree || []).forEach((top) => {
    byId[top.id] = { top, sub: null }
    ;(top.children || []).forEach((sub) => { byId[sub.id] = { top, sub } })
  })
  return byId
}

function localName(node) {
  if (!node) return ''
  return i18n.getLang() === 'en' && node.name_en ? node.name_en : node.name
}

// "公共设施 › 楼道灯损坏" for a ticket's {id, name, parent_name}.
function nameOf(ref) {
  if (!ref) return ''
  const hit = byId[ref.id]
  if (hit && hit.sub) return `${localName(hit.top)} › ${localName(hit.sub)}`
  if (hit) return localName(hit.top)
  return ref.parent_name ? `${ref.parent_name} › ${ref.name}` : ref.name || ''
}

// Picker columns: tops, and the children of the chosen top.
function topNames(tree) {
  return (tree || []).map(localName)
}

function subNames(tree, topIndex) {
  const top = (tree || [])[topIndex]
  return top ? (top.children || []).map(localName) : []
}

function pick(tree, topIndex, subIndex) {
  const top = (tree || [])[topIndex]
  const sub = top && (top.children || [])[subIndex]
  return sub ? { id: sub.id, name: `${localName(top)} › ${localName(sub)}`, is_private: Boolean(sub.is_private) } : null
}

module.exports = { index, nameOf, topNames, subNames, pick, localName }
