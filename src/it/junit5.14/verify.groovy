// JUnit 5.14 ran the whole suite, with no degradation line: it has every API the extension uses.
def xml = new File(basedir, 'target/surefire-reports/TEST-example.CompatTest.xml')
assert xml.isFile() : "no Surefire XML report at ${xml}"
def suite = new groovy.xml.XmlSlurper().parse(xml)
assert suite.@tests.toString() == '4' : "expected 4 tests, report says ${suite.@tests}"
assert suite.@failures.toString() == '0' && suite.@errors.toString() == '0' && suite.@skipped.toString() == '0' :
        "expected all to pass: failures=${suite.@failures} errors=${suite.@errors} skipped=${suite.@skipped}"
def log = new File(basedir, 'build.log').text
assert !log.contains('older than 5.1') : 'JUnit 5.14 reported as lacking a feature'
return true
