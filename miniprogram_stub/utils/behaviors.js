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

module.exports = { page }
