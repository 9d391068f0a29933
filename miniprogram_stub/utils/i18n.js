// Chinese by default, English on request (international communities). The choice is kept
// in storage; the API's Accept-Language follows it, so error messages match the pages.
const storage = require('./storage')

const DICTS = {
  zh: require('../i18n/zh'),
  en: require('../i18n/en'),
}
const LANGS = Object.keys(DICTS)
const listeners = []

function getLang() {
  const lang = storage.get('lang', 'zh')
  return DICTS[lang] ? lang : 'zh'
}

function setLang(lang) {
  if (!DICTS[lang]) throw new Error(`unknown language ${lang}`)
  storage.set('lang', lang)
  listeners.slice().forEach((fn) => fn(lang))
}

function onChange(fn) {
  listeners.push(fn)
  return () => {
    const i = listeners.indexOf(fn)
    if (i >= 0) listeners.splice(i, 1)
  }
}

function fill(text, params) {
  if (!params) return text
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    params[name] === undefined || params[name] === null ? whole : String(params[name]))
}

// t('nearby_found', {count: 1}) → "附近已有 1 条相同问题"
function t(key, params, lang) {
  const dict = DICTS[lang || getLang()]
  const text = dict[key] !== undefined ? dict[key] : DICTS.zh[key]
  return fill(text === undefined ? key : text, params)
}

// The whole dictionary for a page's data: WXML reads {{t.report_submit}}.
function dict(lang) {
  return Object.assign({}, DICTS.zh, DICTS[lang || getLang()])
}

function acceptLanguage() {
  return getLang() === 'en' ? 'en' : 'zh-CN'
}

module.exports = { t, dict, getLang, setLang, onChange, acceptLanguage, LANGS, fill }
