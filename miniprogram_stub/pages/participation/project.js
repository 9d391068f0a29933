// 基金项目 (read-only, for the community's residents): a funded budget line, what is spent
// of its budget, the progress entries, each expense with its receipt photos, the acceptance.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')
const { refreshing } = require('./refreshing')

Component({
  behaviors: [page, refreshing],
  data: { titleKey: 'nav_pt_project', id: null, project: null, loading: true },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) })
      return this.start()
    },
    async refresh() {
      this.clearError()
      try {
        this.setData({ project: participation.projectView(await api.fundProject(this.data.id)) })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    preview(e) {
      const { expense, index } = e.currentTarget.dataset
      const urls = this.data.project.expenses[Number(expense)].receipts.map((r) => r.url)
      return wxp.quietly('previewImage', { urls, current: urls[Number(index)] })
    },
  },
})
