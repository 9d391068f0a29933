// 事件详情: state, who handles it and by when, the photos, the timeline; 满意 / 基本满意 /
// 不满意 once it is resolved (can_rate); the reporter may add information (补充).
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const i18n = require('../../utils/i18n')
const queue = require('../../utils/queue')
const report = require('../../logic/report')
const ticket = require('../../logic/ticket')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    id: null,
    ticket: null,
    loading: true,
    ratings: ticket.ratingButtons(),
    comment: '',
    rating: false,
    supplementOpen: false,
    supplementNote: '',
    supplementPhotos: [],
    sending: false,
    progress: '',
    notice: '',
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_ticket')
      this.setData({ id: Number(query && query.id) })
      return this.load()
    },
    onPullDownRefresh() {
      return this.load().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onLangChange() {
      this.setData({ ratings: ticket.ratingButtons() })
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [tree, data] = await Promise.all([api.categories(), api.ticket(this.data.id)])
        categories.index(tree)
        this._raw = data
        this.setData({ ticket: ticket.view(data) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    onComment(e) {
      this.setData({ comment: e.detail.value })
    },
    async rate(e) {
      const value = e.currentTarget.dataset.value
      if (this.data.rating) return null
      if (value === 'unsatisfied') {
        const answer = await wxp.call('showModal', {
          title: i18n.t('rating_unsatisfied'),
          content: i18n.t('rate_unsatisfied_confirm'),
          confirmText: i18n.t('confirm'),
          cancelText: i18n.t('cancel'),
        }).catch(() => ({ confirm: false }))
        if (!answer.confirm) return null
      }
      this.setData({ rating: true })
      try {
        const data = await api.rate(this.data.id, {
          rating: value,
          comment: this.data.comment.trim(),
          version: this.data.ticket.version,
        })
        this._raw = data
        this.setData({ ticket: ticket.view(data), comment: '' })
        this.toast('rate_thanks')
        return data
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ rating: false })
      }
    },
    preview(e) {
      const group = e.currentTarget.dataset.group
      const urls = this.data.ticket[group].map((p) => p.url)
      return wxp.quietly('previewImage', { urls, current: urls[Number(e.currentTarget.dataset.index)] })
    },
    toggleSupplement() {
      this.setData({ supplementOpen: !this.data.supplementOpen })
    },
    onSupplementNote(e) {
      this.setData({ supplementNote: e.detail.value })
    },
    onSupplementPhotos(e) {
      this.setData({ supplementPhotos: e.detail.photos })
    },
    async sendSupplement() {
      const note = this.data.supplementNote.trim()
      if (!note) {
        this.setData({ fieldErrors: { note: i18n.t('supplement_need_note') } })
        return null
      }
      this.setData({ sending: true, fieldErrors: {}, error: '' })
      try {
        const outcome = await queue.submit({
          kind: 'supplement',
          path: `/tickets/${this.data.id}/supplements`,
          body: { note },
          photos: this.data.supplementPhotos,
          purpose: 'supplement',
          label: report.label({ description: note }),
          ref: this.data.id,
        }, { onProgress: (p) => this.setData({ progress: report.progressText(p) }) })
        this.setData({ supplementOpen: false, supplementNote: '', supplementPhotos: [] })
        if (outcome.sent) {
          this.setData({ ticket: ticket.view(outcome.result), notice: '' })
          this.toast('supplement_sent')
        } else {
          this.setData({ notice: i18n.t('report_queued') })
        }
        return outcome
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ sending: false, progress: '' })
      }
    },
  },
})
