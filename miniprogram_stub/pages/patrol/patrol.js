// 巡查上报 (grid workers): what I found on my round goes straight into my own cell, already
// accepted. Same form as a resident's report, without the duplicate prompt.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const i18n = require('../../utils/i18n')
const location = require('../../utils/location')
const queue = require('../../utils/queue')
const report = require('../../logic/report')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    tree: [],
    topNames: [],
    subNames: [],
    topIndex: -1,
    subIndex: -1,
    form: report.emptyForm(),
    locationText: '',
    submitting: false,
    progress: '',
    pendingId: '',
    notice: '',
    maxPhotos: report.MAX_PHOTOS,
  },
  lifetimes: {
    attached() {
      this._offQueue = queue.onChange((event, sub, result) => {
        if (!sub || sub.id !== this.data.pendingId) return
        if (event === 'sent') this.done(result)
        if (event === 'failed') this.setData({ pendingId: '', error: sub.error })
      })
    },
    detached() {
      if (this._offQueue) this._offQueue()
    },
  },
  methods: {
    onLoad() {
      this.setTitle('nav_patrol')
      return Promise.all([this.loadCategories(), this.useHere(true)])
    },
    onLangChange() {
      this.setData({
        topNames: categories.topNames(this.data.tree),
        subNames: categories.subNames(this.data.tree, this.data.topIndex),
      })
    },
    async loadCategories() {
      try {
        const tree = await api.categories()
        categories.index(tree)
        this.setData({ tree, topNames: categories.topNames(tree) })
      } catch (err) {
        this.showError(err)
      }
    },
    onTopChange(e) {
      const topIndex = Number(e.detail.value)
      this.setData({
        topIndex,
        subIndex: -1,
        subNames: categories.subNames(this.data.tree, topIndex),
        'form.categoryId': null,
        'form.categoryName': '',
      })
    },
    onSubChange(e) {
      const subIndex = Number(e.detail.value)
      const chosen = categories.pick(this.data.tree, this.data.topIndex, subIndex)
      this.setData({
        subIndex,
        'form.categoryId': chosen ? chosen.id : null,
        'form.categoryName': chosen ? chosen.name : '',
        'fieldErrors.category_id': '',
      })
    },
    onInput(e) {
      const field = e.currentTarget.dataset.field
      this.setData({ [`form.${field}`]: e.detail.value, [`fieldErrors.${field}`]: '' })
    },
    onPhotos(e) {
      this.setData({ 'form.photos': e.detail.photos })
    },
    async useHere(quiet) {
      try {
        const here = await location.here()
        this.setData({ 'form.lat': here.lat, 'form.lng': here.lng, locationText: i18n.t('location_here'), 'fieldErrors.lat': '' })
      } catch (err) {
        if (quiet !== true && !location.cancelled(err)) this.showError(err)
      }
    },
    async chooseOnMap() {
      try {
        const spot = await location.choose(this.data.form.lat !== null ? { lat: this.data.form.lat, lng: this.data.form.lng } : null)
        this.setData({
          'form.lat': spot.lat,
          'form.lng': spot.lng,
          'form.address': [spot.address, spot.name].filter(Boolean).join(' ') || this.data.form.address,
          locationText: spot.name || i18n.t('location_chosen'),
          'fieldErrors.lat': '',
        })
      } catch (err) {
        if (!location.cancelled(err)) this.showError(err)
      }
    },
    async submit() {
      if (this.data.submitting) return null
      if (!this.data.pendingId) {
        const problems = report.validate(this.data.form)
        if (Object.keys(problems).length) {
          this.setData({ fieldErrors: problems, error: i18n.t('form_fix') })
          return null
        }
      }
      this.setData({ submitting: true, error: '', fieldErrors: {}, notice: '' })
      const onProgress = (p) => this.setData({ progress: report.progressText(p) })
      try {
        const form = this.data.form
        const outcome = this.data.pendingId
          ? await queue.sendFromForm(this.data.pendingId, { onProgress })
          : await queue.submit({
            kind: 'patrol',
            path: '/worker/patrol-reports',
            body: report.patrolBody(form),
            photos: form.photos,
            purpose: 'report',
            label: report.label(form),
          }, { onProgress })
        if (outcome.sent) this.done(outcome.result)
        else this.setData({ pendingId: outcome.submission.id, notice: i18n.t('report_queued') })
        return outcome
      } catch (err) {
        this.setData({ pendingId: '' })
        this.showError(err)
        return null
      } finally {
        this.setData({ submitting: false, progress: '' })
      }
    },
    done(task) {
      this.setData({ form: report.emptyForm(), topIndex: -1, subIndex: -1, subNames: [], pendingId: '', notice: i18n.t('patrol_sent') })
      this.toast('patrol_sent')
      if (task && task.id) wxp.quietly('redirectTo', { url: `/pages/task/task?id=${task.id}` })
    },
    discard() {
      if (this.data.pendingId) queue.remove(this.data.pendingId)
      this.setData({ pendingId: '', notice: '' })
    },
  },
})
