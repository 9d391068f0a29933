// Deployment settings of the mini-program. A build for a community edits this file, or a
// third-party platform build overrides any key in ext.json's "ext" (read with
// wx.getExtConfigSync); see README.md.
module.exports = {
  // Origin of the Linli API, without /api/v1. On a phone this must be an https origin listed
  // in the mini-program's "request" and "uploadFile" legal domains; in WeChat DevTools with
  // "不校验合法域名" ticked (project.config.json: urlCheck false) `make run`'s address works.
  apiBase: 'http://127.0.0.1:5000',
  // Demo only: when set, log in with POST /auth/dev-login {openid} instead of wx.login,
  // because DevTools' tourist appid gives codes the demo server cannot exchange. The server
  // refuses this login unless it runs with DEV_LOGIN=1. Leave empty for a real build.
  devLoginOpenid: '',
  // Show debugging information (the API's address on 我的) in a trial build too; a
  // development build (DevTools, 开发版) always shows it, a release build never unless this is set.
  debug: false,
  requestTimeout: 15000, // ms, wx.request
  uploadTimeout: 60000, // ms, one photo with wx.uploadFile
}
