// A community notice: opening it reports the read (counted once per person). A 公示 shows
// its notice period, the objection window; a confirmed resident of the community may object
// during it (one Idempotency-Key until the server answers) and sees staff's answers.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const participation = require('../../logic/participation')
const { ApiError } = require('../../utils/errors')
const { newKey } = require('../../utils/idempotency')
const { page } = require('../../utils/behaviors')
const { act } = require('../volunteers/act')

Component({
  behaviors: [page],
  data: { id: null, notice: null, voice: false, objections: [], objection: '', loading: true, busy: false },
  methods: {
    onLoad(query) {
      this.setTitle('nav_pt_notice')
      this.setData({ id: Number(query && query.id) })
      return this.load(true)
    },
    onLangChange() {
      this.setTitle('nav_pt_notice')
      return this.load(false)
    },
    async load(report) {
      this.clearError()
      try {
        const [notice, homes] = await Promise.all([api.communityNotice(this.data.id), api.myResidencies()])
        if (report && !notice.read) {
          const answer = await api.readNotice(this.data.id)
          Object.assign(notice, { read: true, read_count: answer.read_count })
        }
        const view = participation.noticeView(notice)
        const voice = participation.voteBlock(homes, notice.community_id) === ''
        const objections = view.disclosure ? await api.myObjections(this.data.id) : []
        this.setData({ notice: view, voice, objections: objections.map(participation.objectionView) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    onObjection(e) {
      this.setData({ objection: e.detail.value })
    },
    submitObjection() {
      if (this.data.busy) return null
      const body = this.data.objection.trim()
      if (!body) {
        this.setData({ fieldErrors: { body: i18n.t('pt_required') } })
        return null
      }
      this._key = this._key || newKey()
      return act(this, () => api.objectToNotice(this.data.id, body, this._key), () => {
        this._key = null
        this.setData({ objection: '' })
        this.toast('pt_objected')
        return this.load(false)
      }, (err) => {
        if (err instanceof ApiError && !err.retryable) this._key = null
      })
    },
  },
})
