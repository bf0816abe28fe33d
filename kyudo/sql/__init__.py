"""SQL over kyudo: ``from kyudo.sql import Context``."""
from kyudo.sql.context import Context
from kyudo.sql.errors import (SQLColumnNotFoundError, SQLError, SQLSyntaxError, SQLTypeError,
                              TableNotFoundError, UnsupportedSQLError)

__all__ = ["Context", "SQLError", "SQLSyntaxError", "SQLTypeError", "SQLColumnNotFoundError",
           "TableNotFoundError", "UnsupportedSQLError"]
