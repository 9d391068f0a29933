// 我要上报: category, photos, the location (already filled from the phone, shown on a map
// with a pin: dragging the map moves the pin's point to its centre; 重新选点 opens
// wx.chooseLocation), building/unit.
// Before submitting, the open tickets of the same 小类 nearby are shown with 我也遇到, which
// follows one of them instead of filing the same problem again.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const i18n = require('../../utils/i18n')
const location = require('../../utils/location')
const queue = require('../../utils/queue')
const report = require('../../logic/report')
const subscribe = require('../../utils/subscribe')
const tabbar = require('../../utils/tabbar')
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
    locationDenied: false,
    markers: [], // the pin at form.lat/form.lng
    nearby: [],
    nearbyNotice: '',
    followedId: null,
    submitting: false,
    progress: '',
    progressPercent: 0,
    pendingId: '',
    notice: '',
    maxPhotos: report.MAX_PHOTOS,
  },
  lifetimes: {
    attached() {
      // a report left waiting for signal may go out while this page is open
      this._offQueue = queue.onChange((event, sub, result) => {
        if (!sub || sub.id !== this.data.pendingId) return
        if (event === 'sent') this.done(result)
        if (event === 'failed') this.setData({ pendingId: '', error: sub.error, fieldErrors: sub.fields || {} })
      })
    },
    detached() {
      if (this._offQueue) this._offQueue()
    },
  },
  methods: {
    onLoad() {
      subscribe.prefetch()
      return Promise.all([this.loadCategories(), this.useHere({ quiet: true })])
    },
    onShow() {
      this.setTitle('nav_report')
      tabbar.sync(this, 'report')
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
        nearby: [],
        nearbyNotice: '',
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
      return this.checkNearby()
    },
    onInput(e) {
      const field = e.currentTarget.dataset.field
      this.setData({ [`form.${field}`]: e.detail.value, [`fieldErrors.${field}`]: '' })
    },
    onPhotos(e) {
      this.setData({ 'form.photos': e.detail.photos })
    },
    async useHere(options = {}) {
      try {
        const here = await location.here()
        this.setData({
          'form.lat': here.lat,
          'form.lng': here.lng,
          markers: report.pinMarkers(here.lat, here.lng),
          locationText: i18n.t('location_here'),
          locationDenied: false,
          'fieldErrors.lat': '',
        })
        return this.checkNearby()
      } catch (err) {
        this.setData({ locationDenied: location.denied(err) })
        if (!options.quiet && !location.cancelled(err)) this.showError(err)
        return null
      }
    },
    async chooseOnMap() {
      try {
        const near = this.data.form.lat !== null ? { lat: this.data.form.lat, lng: this.data.form.lng } : null
        const spot = await location.choose(near)
        const address = [spot.address, spot.name].filter(Boolean).join(' ')
        this.setData({
          'form.lat': spot.lat,
          'form.lng': spot.lng,
          markers: report.pinMarkers(spot.lat, spot.lng),
          'form.address': address || this.data.form.address,
          locationText: spot.name || address || i18n.t('location_chosen'),
          'fieldErrors.lat': '',
        })
        return this.checkNearby()
      } catch (err) {
        if (!location.cancelled(err)) this.showError(err)
        return null
      }
    },
    // The map was dragged: its centre is the point now (the pin follows it), and the nearby
    // prompt is asked again for it.
    async onRegionChange(e) {
      if (!report.isDragEnd(e) || this.data.pendingId) return null
      const centre = report.centreOf(e) || await this.mapCentre()
      if (!centre) return null
      const { lat, lng } = this.data.form
      if (lat !== null && Math.abs(centre.lat - lat) < 1e-6 && Math.abs(centre.lng - lng) < 1e-6) return null
      this.setData({
        'form.lat': centre.lat,
        'form.lng': centre.lng,
        markers: report.pinMarkers(centre.lat, centre.lng),
        locationText: i18n.t('location_dragged'),
        'fieldErrors.lat': '',
      })
      return this.checkNearby()
    },
    mapCentre() {
      if (typeof wx === 'undefined' || typeof wx.createMapContext !== 'function') return Promise.resolve(null)
      const map = wx.createMapContext('report-map', this)
      return new Promise((resolve) => {
        map.getCenterLocation({
          success: (r) => resolve({ lat: r.latitude, lng: r.longitude }),
          fail: () => resolve(null),
        })
      })
    },
    openSettings() {
      return wxp.quietly('openSetting', {})
    },
    // "附近已有 1 条相同问题（2 天前）" — a failure here never blocks the report.
    async checkNearby() {
      const { categoryId, lat, lng } = this.data.form
      if (!categoryId || lat === null || lng === null) return []
      try {
        const items = await api.nearby({ category: categoryId, lat, lng })
        this.setData({ nearby: report.nearbyRows(items), nearbyNotice: report.nearbyNotice(items) })
        return items
      } catch (err) {
        this.setData({ nearby: [], nearbyNotice: '' })
        return []
      }
    },
    // 我也遇到: follow that ticket; nothing is filed.
    meToo(e) {
      const id = Number(e.currentTarget.dataset.id)
      const consent = subscribe.ask(['ticket']) // inside the tap, before any await
      return this.follow(id, consent)
    },
    async follow(id, consent) {
      await consent
      try {
        await api.follow(id)
        this.setData({
          form: report.emptyForm(),
          markers: [],
          topIndex: -1,
          subIndex: -1,
          subNames: [],
          nearby: [],
          nearbyNotice: '',
          followedId: id,
          notice: i18n.t('nearby_followed'),
        })
        this.toast('nearby_followed')
      } catch (err) {
        this.showError(err)
      }
    },
    viewFollowed() {
      return wxp.quietly('navigateTo', { url: `/pages/ticket/ticket?id=${this.data.followedId}` })
    },
    submit() {
      if (this.data.submitting) return null
      if (!this.data.pendingId) {
        const problems = report.validate(this.data.form)
        if (Object.keys(problems).length) {
          this.setData({ fieldErrors: problems, error: i18n.t('form_fix') })
          return null
        }
      }
      const consent = subscribe.ask(['ticket']) // inside the tap, before any await
      return this.send(consent)
    },
    async send(consent) {
      this.setData({ submitting: true, error: '', fieldErrors: {}, notice: '', followedId: null })
      await consent
      const onProgress = (p) => this.setData({ progress: report.progressText(p), progressPercent: Math.round(p.percent || 0) })
      try {
        const form = this.data.form
        const outcome = this.data.pendingId
          ? await queue.sendFromForm(this.data.pendingId, { onProgress })
          : await queue.submit({
            kind: 'ticket',
            path: '/tickets',
            body: report.ticketBody(form),
            photos: form.photos,
            purpose: 'report',
            label: report.label(form),
          }, { onProgress })
        if (outcome.sent) {
          this.done(outcome.result)
        } else {
          this.setData({ pendingId: outcome.submission.id, notice: i18n.t('report_queued') })
        }
        return outcome
      } catch (err) {
        this.setData({ pendingId: '' })
        this.showError(err)
        return null
      } finally {
        this.setData({ submitting: false, progress: '', progressPercent: 0 })
      }
    },
    done(ticket) {
      this.setData({
        form: report.emptyForm(),
        markers: [],
        topIndex: -1,
        subIndex: -1,
        subNames: [],
        nearby: [],
        nearbyNotice: '',
        pendingId: '',
        notice: i18n.t('report_sent'),
      })
      this.toast('report_sent')
      if (ticket && ticket.id) wxp.quietly('navigateTo', { url: `/pages/ticket/ticket?id=${ticket.id}` })
    },
    discard() {
      if (this.data.pendingId) queue.remove(this.data.pendingId)
      this.setData({ pendingId: '', notice: '' })
    },
  },
})
