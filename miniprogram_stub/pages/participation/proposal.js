// 一个议题: the problem, what to do, the estimated cost, photos, supports against the
// community's threshold, the official answer and the timeline; 附议 once (again answers
// the same on the server).
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { act } = require('../volunteers/act')

Component({
  behaviors: [page],
  data: { id: null, proposal: null, block: '', loading: true, busy: false },
  methods: {
    onLoad(query) {
      this.setTitle('nav_pt_proposal')
      this.setData({ id: Number(query && query.id) })
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_pt_proposal')
      return this.load()
    },
    async load() {
      this.clearError()
      try {
        const [p, homes] = await Promise.all([api.proposal(this.data.id), api.myResidencies()])
        this.show(p, homes)
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    show(p, homes) {
      if (homes) this._homes = homes
      this.setData({ proposal: participation.proposalView(p), block: participation.voteBlock(this._homes, p.community_id) })
    },
    support() {
      const p = this.data.proposal
      if (this.data.busy || !p || !p.canSupport) return null
      return act(this, () => api.supportProposal(this.data.id), (answer) => {
        this.toast(answer.new ? 'pt_supported_ok' : 'pt_supported')
        return this.load()
      })
    },
    preview(e) {
      const urls = this.data.proposal.photos.map((ph) => ph.url)
      return wxp.quietly('previewImage', { urls, current: urls[Number(e.currentTarget.dataset.index)] })
    },
  },
})
