// miniprogram-compiler with the compiled WXML kept for the whole test file: each test starts
// with fresh modules (jest.resetModules), which would otherwise run wcc (~0.5 s) per render.
const path = require('path')

const real = require(path.join(__dirname, '../../node_modules/miniprogram-compiler/index.js'))

const cache = global.__linliWxmlCache || (global.__linliWxmlCache = {})

module.exports = Object.assign({}, real, {
  wxmlToJs(rootPath, options) {
    if (!cache[rootPath]) cache[rootPath] = real.wxmlToJs(rootPath, options)
    return cache[rootPath]
  },
})
