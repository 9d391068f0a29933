// A fake `wx` for jest: in-memory storage (JSON round trip, like the real one), network
// calls answered by a handler (a FakeApi, or real HTTP in the contract test), a switchable
// network with wx.onNetworkStatusChange, and the device APIs Linli uses, each recorded.
function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value))
}

const later = (fn) => setTimeout(fn, 0)

function createFakeWx(handler, options = {}) {
  const store = new Map()
  const state = {
    online: true,
    networkListeners: [],
    calls: [], // [name, options] of every device/UI call
    requests: [], // every wx.request and wx.uploadFile, in order
    trace: [], // "send …" / "done …" of every network call, in the order they happened
    loginCount: 0,
    location: { latitude: 30.61, longitude: 104.005 },
    locationError: null,
    chosen: { latitude: 30.6102, longitude: 104.0051, name: '5栋', address: '晋阳路 5 号' },
    mapCentre: { latitude: 30.6107, longitude: 104.0046 }, // a <map>'s centre (getCenterLocation)
    media: ['wxfile://tmp/photo-1.jpg', 'wxfile://tmp/photo-2.jpg'],
    subscribe: 'accept', // the answer to each template id
    modalConfirm: true,
    progressSteps: [30, 100],
    loginCode: options.loginCode || null, // (n) => code; default wx-code-n
  }

  const record = (name) => (o = {}) => {
    state.calls.push([name, o])
    later(() => {
      if (o.success) o.success({ errMsg: `${name}:ok` })
      if (o.complete) o.complete({ errMsg: `${name}:ok` })
    })
  }

  function deliver(o, outcome, kind) {
    const name = kind === 'upload' ? 'uploadFile' : 'request'
    state.trace.push(`done ${kind} ${o.url}${outcome.fail ? ' FAIL' : ''}`)
    if (outcome.fail) {
      const err = { errMsg: `${name}:fail ${outcome.fail}` }
      if (o.fail) o.fail(err)
      if (o.complete) o.complete(err)
      return
    }
    const data = kind === 'upload' ? JSON.stringify(outcome.body) : clone(outcome.body)
    const res = { statusCode: outcome.status, data, header: outcome.header || {}, errMsg: `${name}:ok` }
    if (o.success) o.success(res)
    if (o.complete) o.complete(res)
  }

  function network(kind, o) {
    const entry = {
      kind,
      method: (o.method || (kind === 'upload' ? 'POST' : 'GET')).toUpperCase(),
      url: o.url,
      header: Object.assign({}, o.header),
      data: clone(o.data),
      filePath: o.filePath,
      name: o.name,
      formData: clone(o.formData),
      timeout: o.timeout,
    }
    state.requests.push(entry)
    state.trace.push(`send ${kind} ${o.url}`)
    const progress = []
    const task = {
      onProgressUpdate(cb) { progress.push(cb) },
      abort() {},
    }
    if (!state.online) {
      later(() => deliver(o, { fail: 'network unavailable' }, kind))
      return task
    }
    Promise.resolve(handler(entry)).then((outcome) => {
      if (kind === 'upload' && !outcome.fail) {
        state.progressSteps.forEach((p) => progress.forEach((cb) => cb({ progress: p, totalBytesSent: p, totalBytesExpectedToSend: 100 })))
      }
      deliver(o, outcome, kind)
    }, (err) => deliver(o, { fail: String(err && err.message) }, kind))
    return task
  }

  const wx = {
    // storage
    getStorageSync: (k) => (store.has(k) ? clone(store.get(k)) : ''),
    setStorageSync: (k, v) => { store.set(k, clone(v)) },
    removeStorageSync: (k) => { store.delete(k) },
    getExtConfigSync: () => ({}),
    getFileSystemManager: () => ({
      saveFileSync: (tempPath) => {
        state.calls.push(['saveFileSync', tempPath])
        return `wxfile://store/${tempPath.split('/').pop()}`
      },
      removeSavedFile: (o) => { state.calls.push(['removeSavedFile', o.filePath]) },
    }),

    // network
    request: (o) => network('request', o),
    uploadFile: (o) => network('upload', o),
    getNetworkType: (o) => later(() => o.success({ networkType: state.online ? 'wifi' : 'none' })),
    onNetworkStatusChange: (cb) => { state.networkListeners.push(cb) },

    // login
    login: (o) => {
      state.loginCount += 1
      const n = state.loginCount
      Promise.resolve(state.loginCode ? state.loginCode(n) : `wx-code-${n}`).then((code) => o.success({ code, errMsg: 'login:ok' }))
    },

    // device
    getLocation: (o) => {
      state.calls.push(['getLocation', o])
      later(() => (state.locationError ? o.fail({ errMsg: state.locationError })
        : o.success(Object.assign({ accuracy: 10 }, state.location))))
    },
    chooseLocation: (o) => {
      state.calls.push(['chooseLocation', o])
      later(() => o.success(clone(state.chosen)))
    },
    createMapContext: (id) => {
      state.calls.push(['createMapContext', id])
      return {
        getCenterLocation: (o) => later(() => o.success(Object.assign({ errMsg: 'getCenterLocation:ok' }, clone(state.mapCentre)))),
      }
    },
    chooseMedia: (o) => {
      state.calls.push(['chooseMedia', o])
      later(() => o.success({ type: 'image', tempFiles: state.media.slice(0, o.count).map((p) => ({ tempFilePath: p, size: 1000, fileType: 'image' })) }))
    },
    requestSubscribeMessage: (o) => {
      state.calls.push(['requestSubscribeMessage', o])
      const res = { errMsg: 'requestSubscribeMessage:ok' }
      o.tmplIds.forEach((id) => { res[id] = state.subscribe })
      later(() => o.success(res))
    },
    showModal: (o) => {
      state.calls.push(['showModal', o])
      later(() => o.success({ confirm: state.modalConfirm, cancel: !state.modalConfirm }))
    },
    openLocation: record('openLocation'),
    showToast: record('showToast'),
    showLoading: record('showLoading'),
    hideLoading: record('hideLoading'),
    navigateTo: record('navigateTo'),
    redirectTo: record('redirectTo'),
    switchTab: record('switchTab'),
    navigateBack: record('navigateBack'),
    setNavigationBarTitle: record('setNavigationBarTitle'),
    stopPullDownRefresh: record('stopPullDownRefresh'),
    previewImage: record('previewImage'),
    makePhoneCall: record('makePhoneCall'),
    openSetting: record('openSetting'),
  }

  return {
    wx,
    state,
    store,
    goOffline() {
      state.online = false
      state.networkListeners.forEach((cb) => cb({ isConnected: false, networkType: 'none' }))
    },
    goOnline() {
      state.online = true
      state.networkListeners.forEach((cb) => cb({ isConnected: true, networkType: 'wifi' }))
    },
    callsOf(name) {
      return state.calls.filter((c) => c[0] === name).map((c) => c[1])
    },
  }
}

// Let every pending timer and promise callback run (the fake answers asynchronously).
function settle(rounds = 20) {
  let p = Promise.resolve()
  for (let i = 0; i < rounds; i += 1) p = p.then(() => new Promise((r) => setTimeout(r, 0)))
  return p
}

module.exports = { createFakeWx, settle, clone }
