// 志愿者信息: what the volunteer rules ask for, with consent given each time it is saved:
// real name, phone, skills, kinds of service; an ID number only if the volunteer wants, kept
// by the server as a keyed hash and its last 4 characters, the only part ever shown back.
const api = require('../../utils/api')
const format = require('../../utils/format')
const i18n = require('../../utils/i18n')
const volunteers = require('../../logic/volunteers')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { act } = require('./act')

Component({
  behaviors: [page],
  data: {
    form: volunteers.profileForm(null),
    clearId: false,
    idOnFile: '',
    consentedAt: '',
    loading: true,
    busy: false,
  },
  methods: {
    onLoad() {
      this.setTitle('nav_vol_profile')
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_vol_profile')
      this.setData({ idOnFile: this.idText(this._profile) })
    },
    async load() {
      this.clearError()
      try {
        this.show(await api.volunteerProfile())
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    idText(profile) {
      return profile && profile.id_number_last4 ? i18n.t('vol_id_on_file', { last4: profile.id_number_last4 }) : ''
    },
    show(profile) {
      this._profile = profile
      this.setData({
        form: volunteers.profileForm(profile),
        clearId: false,
        idOnFile: this.idText(profile),
        consentedAt: profile && profile.consented_at ? format.time(profile.consented_at) : '',
      })
    },
    onInput(e) {
      this.setData({ [`form.${e.currentTarget.dataset.field}`]: e.detail.value })
    },
    onConsent(e) {
      this.setData({ 'form.consent': (e.detail.value || []).length > 0 })
    },
    onClearId(e) {
      this.setData({ clearId: (e.detail.value || []).length > 0 })
    },
    save() {
      if (this.data.busy) return null
      if (!this.data.form.consent) {
        this.setData({ fieldErrors: { consent: i18n.t('vol_consent_required') } })
        return null
      }
      return act(this, () => api.saveVolunteerProfile(volunteers.profileBody(this.data.form, this.data.clearId)), (profile) => {
        this.show(profile)
        this.toast('vol_profile_saved')
        wxp.quietly('navigateBack', { delta: 1 })
      })
    },
  },
})
