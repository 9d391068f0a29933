// 居民投票: a round's options and its rule (pick N, or within the budget); one ballot per
// person. The ballot goes with one Idempotency-Key until the server answers; "already voted"
// (409, e.g. a paper ballot entered for me) is shown kindly with my ballot; a resident
// without a confirmed home in the community sees why they cannot vote.
const api = require('../../utils/api')
const i18n = require('../../utils/i18n')
const participation = require('../../logic/participation')
const { ApiError } = require('../../utils/errors')
const { newKey } = require('../../utils/idempotency')
const { page } = require('../../utils/behaviors')
const { act, confirm } = require('../volunteers/act')

Component({
  behaviors: [page],
  data: { id: null, round: null, block: '', already: '', loading: true, busy: false },
  methods: {
    onLoad(query) {
      this.setTitle('nav_pt_vote')
      this.setData({ id: Number(query && query.id) })
      this._chosen = []
      return this.load()
    },
    onLangChange() {
      this.setTitle('nav_pt_vote')
      return this.load()
    },
    async load() {
      this.clearError()
      let homes = []
      try {
        homes = await api.myResidencies()
        this._round = await api.voteRound(this.data.id)
        this.setData({ block: participation.voteBlock(homes, this._round.community_id) })
        this.render()
      } catch (err) {
        // the round is hidden from those without a voice: say why instead of "not found"
        const hidden = err instanceof ApiError && (err.status === 404 || err.status === 403)
        if (hidden && !homes.some((r) => r.status === 'confirmed')) {
          this.setData({ block: participation.voteBlock(homes, null) })
        } else {
          this.showError(err)
        }
      } finally {
        this.setData({ loading: false })
      }
    },
    render() {
      this.setData({ round: participation.roundView(this._round, this._chosen) })
    },
    choose(e) {
      const r = this.data.round
      if (!r || !r.isOpen || r.voted || this.data.block) return
      const next = participation.toggleChoice(this._round, this._chosen, Number(e.currentTarget.dataset.id))
      this._chosen = next.chosen
      this.setData({ fieldErrors: next.error ? { option_ids: next.error } : {} })
      this.render()
    },
    async cast() {
      if (this.data.busy || !this._chosen.length) {
        if (!this._chosen.length) this.setData({ fieldErrors: { option_ids: i18n.t('pt_choose_some') } })
        return null
      }
      if (!(await confirm('pt_cast', 'pt_cast_confirm'))) return null
      this._key = this._key || newKey()
      this.setData({ already: '' })
      this._refusal = null
      return act(this, () => api.castBallot(this.data.id, this._chosen, this._key), () => {
        this._key = null
        this.toast('pt_cast_ok')
        return this.load()
      }, (err) => {
        if (err instanceof ApiError && !err.retryable) this._key = null
        if (err instanceof ApiError && err.status === 409) this._refusal = err
      }).then((ballot) => (ballot || this.afterRefusal()))
    },
    // A 409 with my ballot on the server (cast before, on another phone or on paper): not an
    // error for the resident, just the ballot that counts, said kindly.
    async afterRefusal() {
      const refusal = this._refusal
      if (!refusal) return null
      await this.load()
      if (this._round && Array.isArray(this._round.my_choices)) {
        this.setData({ already: i18n.t('pt_already_voted', { message: refusal.message }) })
      } else {
        this.showError(refusal) // e.g. the vote has closed meanwhile
      }
      return null
    },
  },
})
