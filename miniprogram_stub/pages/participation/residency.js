// 登记我的住址: my homes declared so far and their status (the page the residency notices
// open); declaring one: the community, 楼栋 / 单元 / 房号, name and phone (staff check them against
// the household register). Sent with one Idempotency-Key until the server answers, so a
// retry after a timeout declares once.
const api = require('../../utils/api')
const participation = require('../../logic/participation')
const wxp = require('../../utils/wxp')
const { ApiError } = require('../../utils/errors')
const { newKey } = require('../../utils/idempotency')
const { page } = require('../../utils/behaviors')
const { act, confirm } = require('../volunteers/act')

Component({
  behaviors: [page],
  data: { communities: [], names: [], yards: [], yardNames: [], homes: [], form: participation.emptyResidencyForm(), busy: false, done: null },
  methods: {
    async onLoad() {
      this.setTitle('nav_pt_residency')
      try {
        // what I declared before (a notice about its confirmation or rejection opens here)
        const [list, homes] = await Promise.all([api.communities(), api.myResidencies()])
        this.setData({ communities: list, names: list.map((c) => c.name), homes: homes.map(participation.residencyView) })
      } catch (err) {
        this.showError(err)
      }
    },
    onLangChange() {
      this.setTitle('nav_pt_residency')
    },
    async onCommunity(e) {
      const index = Number(e.detail.value)
      this.setData({ 'form.communityIndex': index, 'form.yardIndex': -1, yards: [], yardNames: [] })
      // its yards (院落), optional: the form works without them (an older server, no signal)
      try {
        const list = await api.yards(this.data.communities[index])
        if (this.data.form.communityIndex === index) this.setData({ yards: list, yardNames: list.map((y) => y.name) })
      } catch (err) { /* the yard stays unchosen */ }
    },
    onYard(e) {
      this.setData({ 'form.yardIndex': Number(e.detail.value) })
    },
    onInput(e) {
      this.setData({ [`form.${e.currentTarget.dataset.field}`]: e.detail.value })
    },
    submit() {
      if (this.data.busy) return null
      const form = this.data.form
      const invalid = participation.validateResidency(form)
      if (Object.keys(invalid).length) {
        this.setData({ fieldErrors: participation.translated(invalid) })
        return null
      }
      const body = participation.residencyBody(form, this.data.communities[form.communityIndex], this.data.yards[form.yardIndex])
      this._key = this._key || newKey()
      return act(this, () => api.declareResidency(body, this._key), (r) => {
        this._key = null
        this.setData({ done: participation.residencyView(r) })
        this.toast(r.status === 'confirmed' ? 'pt_declared_confirmed' : 'pt_declared')
      }, (err) => {
        if (err instanceof ApiError && !err.retryable) this._key = null
      })
    },
    // 我已搬离: asked first (it cannot be undone: a new home is declared again)
    async moveOut(e) {
      const id = Number(e.currentTarget.dataset.id)
      if (!(await confirm('pt_move_out', 'pt_move_out_confirm'))) return null
      return act(this, () => api.endResidency(id), async () => {
        const homes = await api.myResidencies()
        this.setData({ homes: homes.map(participation.residencyView) })
        this.toast('pt_moved_out')
      })
    },
    back() {
      return wxp.quietly('navigateBack', {})
    },
  },
})
