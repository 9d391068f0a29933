// 消息: what happened to my cases (and my tasks), newest first; a tap opens the page the
// notice is about and marks it read.
const api = require('../../utils/api')
const format = require('../../utils/format')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

function row(n) {
  return {
    id: n.id,
    title: n.title,
    body: n.body,
    page: n.page || '',
    read: Boolean(n.read),
    time: format.time(n.created_at),
  }
}

Component({
  behaviors: [page],
  data: {
    items: [],
    unread: 0,
    cursor: null,
    done: false,
    loading: false,
  },
  methods: {
    onLoad() {
      this.setTitle('nav_notices')
      return this.reload()
    },
    onPullDownRefresh() {
      return this.reload().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onReachBottom() {
      return this.more()
    },
    reload() {
      this.setData({ items: [], cursor: null, done: false })
      return this.more()
    },
    async more() {
      if (this.data.loading || this.data.done) return
      this.setData({ loading: true })
      this.clearError()
      try {
        const answer = await api.notifications({ cursor: this.data.cursor || undefined })
        this.setData({
          items: this.data.items.concat(answer.items.map(row)),
          unread: answer.unread_count || 0,
          cursor: answer.next_cursor,
          done: !answer.next_cursor,
        })
      } catch (err) {
        this.showError(err)
      } finally {
        this.setData({ loading: false })
      }
    },
    async open(e) {
      const id = Number(e.currentTarget.dataset.id)
      const index = this.data.items.findIndex((n) => n.id === id)
      const item = this.data.items[index]
      if (!item) return
      if (!item.read) {
        this.setData({ [`items[${index}].read`]: true, unread: Math.max(0, this.data.unread - 1) })
        api.markRead(id).catch(() => null)
      }
      if (item.page) await wxp.quietly('navigateTo', { url: `/${item.page.replace(/^\/+/, '')}` })
    },
    async readAll() {
      try {
        const answer = await api.readAll()
        this.setData({
          items: this.data.items.map((n) => Object.assign({}, n, { read: true })),
          unread: answer.unread_count || 0,
        })
      } catch (err) {
        this.showError(err)
      }
    },
  },
})
