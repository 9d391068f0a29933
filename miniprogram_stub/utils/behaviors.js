// What every page shares: the dictionary of the chosen language in `t` (re-set when the
// language changes), and one way to show an error: the API's message, field by field.
const errors = require('./errors')
const format = require('./format')
const i18n = require('./i18n')
const wxp = require('./wxp')

const page = Behavior({
  data: {
    t: i18n.dict(),
    lang: i18n.getLang(),
    error: '',
    fieldErrors: {},
  },
  lifetimes: {
    attached() {
      this.setData({ t: i18n.dict(), lang: i18n.getLang() })
      this._offLang = i18n.onChange((lang) => {
        this.setData({ t: i18n.dict(), lang })
        if (typeof this.onLangChange === 'function') this.onLangChange(lang)
      })
    },
    detached() {
      if (this._offLang) this._offLang()
    },
  },
  methods: {
    showError(err) {
      const message = errors.describe(err)
      this.setData({ error: message, fieldErrors: errors.fieldMessages(err) })
      wxp.quietly('showToast', { title: format.shorten(message, 40), icon: 'none', duration: 3000 })
      return message
    },
    clearError() {
      this.setData({ error: '', fieldErrors: {} })
    },
    toast(key, params) {
      wxp.quietly('showToast', { title: i18n.t(key, params), icon: 'none' })
    },
    setTitle(key) {
      wxp.quietly('setNavigationBarTitle', { title: i18n.t(key) })
    },
  },
})

// From a page's onShow: false on the show that follows onLoad (onLoad has just asked for
// the page's data), true when the page shows again — back from another page, another tab
// or the background — and should ask again. Whether onLoad's answers came in already does
// not matter, so a page never loads the same thing twice when it opens.
function returning(instance) {
  const again = Boolean(instance._shownOnce)
  instance._shownOnce = true
  return again
}

module.exports = { page, returning }
