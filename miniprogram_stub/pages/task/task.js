// 任务 (grid workers): 导航 with wx.openLocation, 接单, 到达 (my position recorded, the
// distance to the pin shown), 已处置 with after-photos and a note (kept and sent later when
// there is no signal), 退回 with a reason.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const format = require('../../utils/format')
const i18n = require('../../utils/i18n')
const location = require('../../utils/location')
const queue = require('../../utils/queue')
const report = require('../../logic/report')
const tasks = require('../../logic/tasks')
const ticket = require('../../logic/ticket')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

function view(detail) {
  return Object.assign(ticket.view(detail), {
    lat: detail.lat,
    lng: detail.lng,
    overdue: Boolean(detail.overdue),
    reporter: detail.reporter ? detail.reporter.display_name : '',
    phone: detail.reporter && detail.reporter.phone ? detail.reporter.phone : '',
    source: detail.source,
    // the category needs an after-photo (处置后照片) to resolve
    requiresAfterPhoto: Boolean(detail.requires_after_photo),
  })
}

Component({
  behaviors: [page],
  data: {
    id: null,
    task: null,
    buttons: {},
    loading: true,
    busy: false,
    checkInText: '',
    panel: '', // '' | 'resolve' | 'handback'
    note: '',
    photos: [],
    reason: '',
    progress: '',
    pendingId: '',
    notice: '',
  },
  lifetimes: {
    attached() {
      this._offQueue = queue.onChange((event, sub) => {
        if (!sub || sub.id !== this.data.pendingId) return
        if (event === 'sent') {
          this.setData({ pendingId: '', notice: i18n.t('resolve_sent') })
          this.load()
        }
        if (event === 'failed') this.setData({ pendingId: '', error: sub.error })
      })
    },
    detached() {
      if (this._offQueue) this._offQueue()
    },
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_task')
      this.setData({ id: Number(query && query.id) })
      const waiting = queue.list().find((s) => s.kind === 'resolve' && s.ref === Number(query && query.id))
      if (waiting) this.setData({ pendingId: waiting.id, notice: i18n.t('resolve_queued') })
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onLangChange() {
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [tree, detail] = await Promise.all([api.categories(), api.ticket(this.data.id)])
        categories.index(tree)
        this.setData({ task: view(detail), buttons: tasks.buttons(detail) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    navigate() {
      const task = this.data.task
      return location.openMap({ lat: task.lat, lng: task.lng, name: task.category, address: task.address })
        .catch((err) => this.showError(err))
    },
    call() {
      return wxp.quietly('makePhoneCall', { phoneNumber: this.data.task.phone })
    },
    async run(action) {
      if (this.data.busy) return null
      this.setData({ busy: true, error: '' })
      try {
        return await action()
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ busy: false })
      }
    },
    start() {
      return this.run(async () => {
        const detail = await api.start(this.data.id, this.data.task.version)
        this.setData({ task: view(detail), buttons: tasks.buttons(detail) })
        this.toast('task_started')
        return detail
      })
    },
    // 到达: where am I, and how far from the pin?
    checkIn() {
      return this.run(async () => {
        let here
        try {
          here = await location.here()
        } catch (err) {
          this.setData({ error: i18n.t(location.denied(err) ? 'location_denied' : 'location_failed') })
          return null
        }
        const answer = await api.checkIn(this.data.id, here)
        this.setData({ checkInText: i18n.t('checkin_distance', { distance: format.distance(answer.distance_m) }) })
        await this.load()
        return answer
      })
    },
    openPanel(e) {
      const panel = e.currentTarget.dataset.panel
      this.setData({ panel: this.data.panel === panel ? '' : panel, fieldErrors: {} })
    },
    onNote(e) {
      this.setData({ note: e.detail.value })
    },
    onReason(e) {
      this.setData({ reason: e.detail.value })
    },
    onPhotos(e) {
      this.setData({ photos: e.detail.photos })
    },
    resolve() {
      const note = this.data.note.trim()
      if (!this.data.pendingId && !note) {
        this.setData({ fieldErrors: { note: i18n.t('resolve_need_note') } })
        return null
      }
      if (!this.data.pendingId && this.data.task.requiresAfterPhoto && !this.data.photos.length) {
        this.setData({ fieldErrors: { photo_ids: i18n.t('resolve_need_photo') } })
        return null
      }
      return this.run(async () => {
        const onProgress = (p) => this.setData({ progress: report.progressText(p) })
        const body = { note }
        if (this.data.task.version) body.version = this.data.task.version
        try {
          const outcome = this.data.pendingId
            ? await queue.sendFromForm(this.data.pendingId, { onProgress })
            : await queue.submit({
              kind: 'resolve',
              path: `/tickets/${this.data.id}/resolve`,
              body,
              photos: this.data.photos,
              purpose: 'after',
              label: `#${this.data.id} ${format.shorten(note, 20)}`,
              ref: this.data.id,
            }, { onProgress })
          if (outcome.sent) {
            this.setData({ panel: '', note: '', photos: [], pendingId: '', notice: i18n.t('resolve_sent') })
            this.setData({ task: view(outcome.result), buttons: tasks.buttons(outcome.result) })
            this.toast('resolve_sent')
          } else {
            this.setData({ pendingId: outcome.submission.id, panel: '', notice: i18n.t('resolve_queued') })
          }
          return outcome
        } catch (err) {
          this.setData({ pendingId: '' })
          throw err
        } finally {
          this.setData({ progress: '' })
        }
      })
    },
    handBack() {
      const reason = this.data.reason.trim()
      if (!reason) {
        this.setData({ fieldErrors: { reason: i18n.t('handback_need_reason') } })
        return null
      }
      return this.run(async () => {
        const detail = await api.handBack(this.data.id, { reason, version: this.data.task.version })
        this.setData({ panel: '', reason: '', task: view(detail), buttons: tasks.buttons(detail) })
        this.toast('handback_done')
        wxp.quietly('navigateBack', {})
        return detail
      })
    },
    preview(e) {
      const group = e.currentTarget.dataset.group
      const urls = this.data.task[group].map((p) => p.url)
      return wxp.quietly('previewImage', { urls, current: urls[Number(e.currentTarget.dataset.index)] })
    },
  },
})
