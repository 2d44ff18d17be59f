module example.com/profsql-fixtures/goroutines

go 1.19
