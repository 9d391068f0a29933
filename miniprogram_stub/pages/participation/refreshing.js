// What the participation list pages share: their title (data.titleKey) in the chosen
// language, and the list loaded again (`refresh()`) when the page shows again (back from a
// detail; not on the first show), on pull-down and when the language changes.
const wxp = require('../../utils/wxp')
const { returning } = require('../../utils/behaviors')

const refreshing = Behavior({
  methods: {
    start() {
      this.setTitle(this.data.titleKey)
      return this.refresh()
    },
    onShow() {
      return returning(this) ? this.refresh() : null
    },
    onPullDownRefresh() {
      return this.refresh().then(() => wxp.quietly('stopPullDownRefresh'))
    },
    onLangChange() {
      return this.start()
    },
  },
})

module.exports = { refreshing }
