// The deliberately failing test's Surefire report must carry the Sandboxed diagnostics.
def reports = new File(basedir, 'target/surefire-reports')
def xml = new File(reports, 'TEST-example.GreeterTest.xml')
assert xml.isFile() : "no Surefire XML report at ${xml}"
def suite = new groovy.xml.XmlSlurper().parse(xml)
assert suite.@tests.toString() == '2' : "expected 2 tests, report says ${suite.@tests}"
assert suite.@failures.toString() == '1' : "expected 1 failure, report says ${suite.@failures}"

def failed = suite.testcase.find { it.@name.toString().startsWith('failsOnPurpose') }
def failure = failed.failure
assert failure.size() == 1 : 'failsOnPurpose has no <failure> element'
String text = failure.text() + '\n' + failure.@message.toString()
[
    'Expected `sh -c exit 3` to succeed (exit code 0),\nbut it exited with code 3 [EXITED]',  // command and reason
    'dev.sandboxed.junit.SandboxDiagnostics',                 // the suppressed diagnostics
    "container 'default'",
    'hostname=it-greeter',                                     // the spec
    '`sh -c echo it-marker-stdout; echo it-marker-stderr >&2; exit 42` exited with code 42 [EXITED]',
    'it-marker-stdout',
    'it-marker-stderr',                                        // the last output of its processes
    'usage: ',                                                 // and its resource usage
].each { expected ->
    assert text.contains(expected) : "the failure report lacks '${expected}':\n${text}"
}

def passed = suite.testcase.find { it.@name.toString().startsWith('greets') }
assert passed.failure.size() == 0 && passed.error.size() == 0
return true
