module example.com/profsql-fixtures/labels

go 1.19
