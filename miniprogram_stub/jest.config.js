module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/tests/**/*.test.js'],
  reporters: ['default', '<rootDir>/tests/summary-reporter.js'],
  testTimeout: 20000,
  // miniprogram-simulate compiles WXML with it: once per test file instead of once per test
  moduleNameMapper: { '^miniprogram-compiler$': '<rootDir>/tests/helpers/cached-compiler.js' },
}
