// Failsafe ran the @Sandboxed integration tests, all passed, and Surefire ran none.
def xml = new File(basedir, 'target/failsafe-reports/TEST-example.SharedSandboxIT.xml')
assert xml.isFile() : "no Failsafe XML report at ${xml}"
def suite = new groovy.xml.XmlSlurper().parse(xml)
assert suite.@tests.toString() == '3' : "expected 3 tests, report says ${suite.@tests}"
assert suite.@failures.toString() == '0' && suite.@errors.toString() == '0' && suite.@skipped.toString() == '0' :
        "expected all to pass: failures=${suite.@failures} errors=${suite.@errors} skipped=${suite.@skipped}"
def summary = new File(basedir, 'target/failsafe-reports/failsafe-summary.xml')
assert summary.isFile()
assert new groovy.xml.XmlSlurper().parse(summary).completed.text() == '3'
return true
