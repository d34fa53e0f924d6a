// The @Sandboxed tests ran inside the named modules, not on the class path.
def log = new File(basedir, 'build.log').text
assert log.contains('module dev.sandboxed.core, module dev.sandboxed.junit') : 'the sandboxed modules were not named modules'
assert log.contains('2 passed, 0 failed') : 'the module-path tests did not all pass'
return true
