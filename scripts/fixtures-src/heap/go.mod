module example.com/profsql-fixtures/heap

go 1.19
