// 绑定网格员: a grid worker types the one-time code staff gave them; from then on their
// WeChat logs them in as that worker.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: {
    code: '',
    busy: false,
    bound: '',
  },
  methods: {
    onLoad() {
      this.setTitle('nav_bind')
    },
    onCode(e) {
      this.setData({ code: e.detail.value, fieldErrors: {} })
    },
    async bind() {
      const code = this.data.code.trim()
      if (code.length < 4) {
        this.setData({ fieldErrors: { binding_code: i18n.t('bind_need_code') } })
        return null
      }
      this.setData({ busy: true, error: '' })
      try {
        const answer = await api.bind(code)
        this.setData({ bound: i18n.t('bind_done', { name: answer.user.display_name || '' }), code: '' })
        this.toast('bind_ok')
        wxp.quietly('switchTab', { url: '/pages/tasks/tasks' })
        return answer
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
