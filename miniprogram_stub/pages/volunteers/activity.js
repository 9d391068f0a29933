// 志愿活动: when and where, what volunteers do, places taken and the waitlist, my sign-up
// (with my place on the waitlist); 报名 (the subscribe consent asked inside the tap: a
// place freed for me, my hours approved), 取消报名; on the day, 签到 and 签退 with the
// 6-character code on the leader's phone, typed or scanned.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const subscribe = require('../../utils/subscribe')
const volunteers = require('../../logic/volunteers')
const wxp = require('../../utils/wxp')
const { ApiError } = require('../../utils/errors')
const { newKey } = require('../../utils/idempotency')
const { page } = require('../../utils/behaviors')
const { act, confirm } = require('./act')

// the templates a volunteer may want: moved up from the waitlist, hours approved
const TEMPLATES = ['volunteer', 'waitlist', 'activity']

Component({
  behaviors: [page],
  data: {
    id: null,
    activity: null,
    step: 'check_in',
    attendance: '',
    code: '',
    loading: true,
    busy: false,
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_vol_activity')
      subscribe.prefetch()
      this.setData({ id: Number(query && query.id) })
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_vol_activity')
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [activity, records] = await Promise.all([
          api.volunteerActivity(this.data.id), api.myServiceRecords(),
        ])
        this.show(activity, records.find((r) => r.activity_id === this.data.id))
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    show(activity, record) {
      // the position from my sign-up's answer, when the activity does not carry it
      const a = 'waitlist_position' in activity ? activity
        : Object.assign({}, activity, { waitlist_position: activity.my_signup === 'waitlisted' ? this._position : null })
      const step = volunteers.attendanceStep(record)
      let attendance = ''
      if (record && record.check_out_at) {
        const r = volunteers.recordView(record)
        attendance = i18n.t('vol_attended', { in: r.checkIn, out: r.checkOut, hours: r.hours, status: r.statusText })
      } else if (record && record.check_in_at) {
        attendance = i18n.t('vol_checked_in_at', { time: volunteers.recordView(record).checkIn })
      }
      this.setData({ activity: volunteers.activityView(a), step, attendance })
    },
    signUp() {
      if (this.data.busy || !this.data.activity || !this.data.activity.canSignUp) return null
      const consent = subscribe.ask(TEMPLATES) // inside the tap, before any await
      return this.sendSignUp(consent)
    },
    async sendSignUp(consent) {
      this.setData({ busy: true })
      await consent
      this.setData({ busy: false })
      this._key = this._key || newKey() // a retry after a timeout signs up once
      return act(this, () => api.signUp(this.data.id, this._key), (signup) => {
        this._key = null
        this._position = signup.waitlist_position
        if (signup.status === 'waitlisted') this.toast('vol_waitlisted_ok', { n: signup.waitlist_position })
        else this.toast('vol_signed_ok')
        return this.load()
      }, (err) => {
        if (err instanceof ApiError && !err.retryable) this._key = null // refused: a new request next time
      })
    },
    async withdraw() {
      if (this.data.busy || !(await confirm('vol_withdraw', 'vol_withdraw_confirm'))) return null
      return act(this, () => api.withdrawSignup(this.data.id), () => {
        this._position = null
        this.toast('vol_withdrawn_ok')
        return this.load()
      })
    },
    onCode(e) {
      this.setData({ code: volunteers.normalizeCode(e.detail.value) })
    },
    // 签到 or 签退 with the code in the field; a wrong one shows the API's message under it.
    async submitCode() {
      if (this.data.busy || this.data.step === 'done') return null
      const code = volunteers.normalizeCode(this.data.code)
      if (!volunteers.validCode(code)) {
        this.setData({ fieldErrors: { code: i18n.t('vol_code_invalid') } })
        return null
      }
      const checkingIn = this.data.step === 'check_in'
      const send = checkingIn ? api.activityCheckIn : api.activityCheckOut
      return act(this, () => send(this.data.id, code), () => {
        this.setData({ code: '' })
        this.toast(checkingIn ? 'vol_checked_in' : 'vol_checked_out')
        return this.load()
      })
    },
    async scan() {
      if (this.data.busy) return null
      let res
      try {
        res = await wxp.call('scanCode', { onlyFromCamera: true, scanType: ['qrCode', 'barCode'] })
      } catch (err) {
        return null // cancelled
      }
      const parsed = volunteers.parseScanned(res && res.result, this.data.id)
      if (parsed.error) {
        this.setData({ fieldErrors: { code: i18n.t(parsed.error) } })
        return null
      }
      this.setData({ code: parsed.code })
      return this.submitCode()
    },
    openMap() {
      const a = this.data.activity
      if (!a || !a.located) return null
      return wxp.quietly('openLocation', { latitude: a.lat, longitude: a.lng, name: a.place, address: a.place })
    },
    openTeam() {
      return wxp.quietly('navigateTo', { url: `/pages/volunteers/team?id=${this.data.activity.teamId}` })
    },
  },
})
