#include <stdio.h>

int main(void)
{
	puts("livewatch");
	return 0;
}
