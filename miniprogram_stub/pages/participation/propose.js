// 我要提议: title, the problem, what to do, an estimated cost and photos. Sent through the
// submission queue like a report: the photos go up one by one with progress, then the POST
// with the submission's Idempotency-Key; without signal it waits on 我的 and goes later,
// and a retry files it once.
const i18n = require('../../utils/i18n')
const participation = require('../../logic/participation')
const queue = require('../../utils/queue')
const report = require('../../logic/report')
const wxp = require('../../utils/wxp')
const { page } = require('../../utils/behaviors')

Component({
  behaviors: [page],
  data: { communityId: null, form: participation.emptyProposalForm(), submitting: false, progress: '', notice: '' },
  methods: {
    onLoad(query) {
      this.setTitle('nav_pt_propose')
      this.setData({ communityId: Number(query && query.community) })
    },
    onLangChange() {
      this.setTitle('nav_pt_propose')
    },
    onInput(e) {
      this.setData({ [`form.${e.currentTarget.dataset.field}`]: e.detail.value })
    },
    onPhotos(e) {
      this.setData({ 'form.photos': e.detail.photos })
    },
    async submit() {
      if (this.data.submitting) return null
      const form = this.data.form
      const invalid = participation.validateProposal(form)
      if (Object.keys(invalid).length) {
        this.setData({ fieldErrors: participation.translated(invalid), error: i18n.t('form_fix') })
        return null
      }
      this.setData({ submitting: true, error: '', fieldErrors: {}, notice: '' })
      try {
        const outcome = await queue.submit({
          kind: 'proposal',
          path: '/proposals',
          body: participation.proposalBody(form, this.data.communityId, []),
          photos: form.photos,
          purpose: 'proposal',
          label: form.title.trim(),
        }, { onProgress: (p) => this.setData({ progress: report.progressText(p) }) })
        if (outcome.sent) {
          this.toast('pt_proposed')
          wxp.quietly('redirectTo', { url: `/pages/participation/proposal?id=${outcome.result.id}` })
        } else {
          this.setData({ notice: i18n.t('report_queued'), form: participation.emptyProposalForm() })
        }
        return outcome
      } catch (err) {
        this.showError(err)
        return null
      } finally {
        this.setData({ submitting: false, progress: '' })
      }
    },
  },
})
