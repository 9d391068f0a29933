// 议题: the community's proposals, newest or by supports, or only mine; 我要提议.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_proposals', communityId: null, sort: 'new', rows: [], loading: true },
  methods: {
    onLoad(query) {
      this.setData({ communityId: Number(query && query.community) || null })
      return this.start()
    },
    async refresh() {
      this.clearError()
      const sort = this.data.sort
      try {
        const first = await api.proposals({
          communityId: this.data.communityId || undefined, sort: sort === 'mine' ? 'new' : sort, mine: sort === 'mine',
        })
        this.setData({ rows: first.items.map(participation.proposalView) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    switchSort(e) {
      const sort = e.currentTarget.dataset.sort
      if (sort === this.data.sort) return null
      this.setData({ sort })
      return this.refresh()
    },
    open(e) {
      return wxp.quietly('navigateTo', { url: `/pages/participation/proposal?id=${e.currentTarget.dataset.id}` })
    },
    propose() {
      return wxp.quietly('navigateTo', { url: `/pages/participation/propose?community=${this.data.communityId}` })
    },
  },
})
