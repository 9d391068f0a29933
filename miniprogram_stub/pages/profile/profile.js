// 我的资料: my display name (昵称), and a phone the staff handling my cases may call me on:
// WeChat's 微信手机号快捷填写 button (getPhoneNumber: the button itself is the consent; the
// server exchanges its one-time code) or 手动输入手机号 with the consent box ticked. The consent
// text comes from the server (GET /me/phone/consent), the one place it is kept, and its
// version goes back with the number. 删除手机号 removes it after a confirmation.
const api = require('../../utils/api')
const format = require('../../utils/format')
const i18n = require('../../utils/i18n')
const session = require('../../utils/session')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

const PHONE_RE = /^\+?[0-9][0-9 -]{4,19}$/

Component({
  behaviors: [page],
  data: {
    resident: true,
    name: '',
    phone: '',
    phoneSource: '',
    consentedAt: '',
    consent: null, // {version, title, text}
    manual: false,
    typed: '',
    agreed: false,
    notice: '',
    busy: false,
    loading: true,
  },
  methods: {
    onLoad() {
      this.setTitle('nav_profile')
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_profile')
      this.show(this._user)
    },
    async load() {
      this.clearError()
      try {
        const [user, consent] = await Promise.all([api.me(), api.phoneConsent()])
        this.setData({ consent })
        this.show(user)
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    show(user) {
      if (!user) return
      this._user = user
      this.setData({
        resident: user.role === 'resident',
        name: user.display_name || '',
        phone: user.phone || '',
        phoneSource: user.phone_source ? i18n.t(`profile_phone_from_${user.phone_source}`) : '',
        consentedAt: user.phone_consent_at ? format.time(user.phone_consent_at) : '',
      })
    },
    onName(e) {
      this.setData({ name: e.detail.value, fieldErrors: {} })
    },
    async saveName() {
      const name = String(this.data.name || '').trim()
      if (!name || name.length > 20) {
        this.setData({ fieldErrors: { display_name: i18n.t('profile_name_required') } })
        return null
      }
      return this.run(() => api.updateProfile(name), 'profile_name_saved')
    },
    // <button open-type="getPhoneNumber">: e.detail.code when the user agrees
    async onPhoneNumber(e) {
      const detail = (e && e.detail) || {}
      if (!detail.code) {
        this.setData({ notice: i18n.t('profile_phone_denied'), manual: true })
        return null
      }
      this.setData({ notice: '' })
      return this.run(() => api.savePhone({ code: detail.code, consentVersion: this.data.consent.version }),
        'profile_phone_saved')
    },
    showManual() {
      this.setData({ manual: true })
    },
    onTyped(e) {
      this.setData({ typed: e.detail.value, fieldErrors: {} })
    },
    onAgree(e) {
      this.setData({ agreed: (e.detail.value || []).length > 0, fieldErrors: {} })
    },
    async saveTyped() {
      const phone = String(this.data.typed || '').trim()
      if (!PHONE_RE.test(phone)) {
        this.setData({ fieldErrors: { phone: i18n.t('profile_phone_invalid') } })
        return null
      }
      if (!this.data.agreed) {
        this.setData({ fieldErrors: { consent: i18n.t('profile_phone_consent_required') } })
        return null
      }
      const user = await this.run(() => api.savePhone({ phone, consentVersion: this.data.consent.version }),
        'profile_phone_saved')
      if (user) this.setData({ manual: false, typed: '', agreed: false })
      return user
    },
    async removePhone() {
      const answer = await wxp.call('showModal', {
        title: i18n.t('profile_phone_delete'),
        content: i18n.t('profile_phone_delete_confirm'),
        confirmText: i18n.t('confirm'),
        cancelText: i18n.t('cancel'),
      }).catch(() => ({ confirm: false }))
      if (!answer.confirm) return false
      const done = await this.run(async () => {
        await api.deletePhone()
        const user = Object.assign({}, this._user, { phone: null, phone_source: null, phone_consent_at: null })
        session.setUser(user)
        return user
      }, 'profile_phone_deleted')
      return Boolean(done)
    },
    // one call at a time; the answer is the user shown afterwards
    async run(call, doneKey) {
      if (this.data.busy) return null
      this.setData({ busy: true })
      this.clearError()
      try {
        const user = await call()
        this.show(user)
        this.toast(doneKey)
        return user
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
