// 我的事件: what I reported and what I follow (我也遇到), newest first, page by page.
const api = require('../../utils/api')
const categories = require('../../logic/categories')
const queue = require('../../utils/queue')
const ticket = require('../../logic/ticket')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

const RELATIONS = ['reported', 'following']

Component({
  behaviors: [page],
  data: {
    relation: 'reported',
    items: [],
    cursor: null,
    done: false,
    loading: false,
    waiting: [],
  },
  methods: {
    onLoad(query) {
      this.setTitle('nav_tickets')
      const relation = query && RELATIONS.indexOf(query.relation) >= 0 ? query.relation : 'reported'
      this.setData({ relation })
      return this.reload()
    },
    onShow() {
      this.setData({ waiting: this.waitingRows() })
    },
    onPullDownRefresh() {
      return this.reload().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onReachBottom() {
      return this.more()
    },
    onLangChange() {
      return this.reload()
    },
    waitingRows() {
      return queue.list().filter((s) => s.kind === 'ticket')
        .map((s) => ({ id: s.id, label: s.label, failed: s.status === 'failed', error: s.error }))
    },
    switchRelation(e) {
      const relation = e.currentTarget.dataset.relation
      if (relation === this.data.relation) return null
      this.setData({ relation })
      return this.reload()
    },
    reload() {
      this.setData({ items: [], cursor: null, done: false, waiting: this.waitingRows() })
      return this.more()
    },
    async more() {
      if (this.data.loading || this.data.done) return
      this.setData({ loading: true })
      this.clearError()
      try {
        const [tree, answer] = await Promise.all([
          api.categories(),
          api.myTickets({ relation: this.data.relation, cursor: this.data.cursor || undefined }),
        ])
        categories.index(tree)
        this.setData({
          items: this.data.items.concat(answer.items.map((i) => ticket.row(i))),
          cursor: answer.next_cursor,
          done: !answer.next_cursor,
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    open(e) {
      return wxp.quietly('navigateTo', { url: `/pages/ticket/ticket?id=${e.currentTarget.dataset.id}` })
    },
  },
})
