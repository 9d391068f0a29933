const boot = require('./utils/boot')

App({
  onLaunch() {
    boot.launch()
  },
  onShow() {
    boot.show()
  },
})
