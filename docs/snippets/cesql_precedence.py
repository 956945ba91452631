from cesdk import cesql


def value(text: str) -> object:
    return cesql.compile(text).evaluate({}).value


assert value("2 + 3 * 4") == 14
assert value("10 - 4 - 3") == 3  # left to right
assert value("-7 / 2") == -3  # rounded towards zero
assert value("-7 % 2") == -1  # the sign of the dividend

# AND, OR and XOR share one level and group to the right, as the grammar says:
assert value("FALSE AND FALSE OR TRUE") is False  # FALSE AND (FALSE OR TRUE)
assert value("(FALSE AND FALSE) OR TRUE") is True  # parentheses say what you mean
