// What the volunteer pages' buttons share: asked first when it cannot be undone
// (wx.showModal), one action at a time (`busy`), the API's message when it is refused.
const i18n = require('../../utils/i18n')
const wxp = require('../../utils/wxp')

function confirm(titleKey, contentKey) {
  return wxp.call('showModal', {
    title: i18n.t(titleKey),
    content: i18n.t(contentKey),
    confirmText: i18n.t('confirm'),
    cancelText: i18n.t('cancel'),
  }).then((answer) => Boolean(answer && answer.confirm), () => false)
}

// Run send() as the page's one action; then done(result) (a toast, the page loaded again).
// A refusal or a network error is shown on the page, given to failed(err), and gives null.
async function act(pageInstance, send, done, failed) {
  if (pageInstance.data.busy) return null
  pageInstance.setData({ busy: true })
  pageInstance.clearError()
  try {
    const result = await send()
    if (done) await done(result)
    return result
  } catch (err) {
    if (failed) failed(err)
    pageInstance.showError(err)
    return null
  } finally {
    pageInstance.setData({ busy: false })
  }
}

module.exports = { confirm, act }
