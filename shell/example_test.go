package shell_test

import (
	"fmt"

	"github.com/spawnkit/spawnkit/shell"
)

func ExampleQuote() {
	fmt.Println(shell.Quote("report.txt"))
	fmt.Println(shell.Quote("my file.txt"))
	fmt.Println(shell.Quote("it's $HOME"))
	fmt.Println(shell.Quote(""))
	fmt.Println(shell.Quote("FOO=bar"))
	// Output:
	// report.txt
	// 'my file.txt'
	// 'it'\''s $HOME'
	// ''
	// 'FOO=bar'
}

func ExampleJoin() {
	user := "x; rm -rf ~"
	fmt.Println("grep -F -- " + shell.Join([]string{user, "/var/log/app.log"}))
	// Output:
	// grep -F -- 'x; rm -rf ~' /var/log/app.log
}

func ExampleSplit() {
	args, err := shell.Split(`cp -v "My Documents/a b.txt" 'C:\tmp' # copy it`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", args)

	_, err = shell.Split(`echo "unclosed`)
	fmt.Println(err)
	// Output:
	// ["cp" "-v" "My Documents/a b.txt" "C:\\tmp"]
	// shell: unterminated quote: the double quote at byte 5 of "echo \"unclosed" is never closed
}
